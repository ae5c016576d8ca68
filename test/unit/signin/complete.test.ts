import { describe, expect, it, vi } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { hashSubject } from '../../../shared/log.js';
import type { SessionIdentity } from '../../../shared/session/index.js';
import { loadSignedInIdp, recordFirstUse } from '../../../shared/signin/index.js';
import { clockAtSeconds } from '../../support/clock.js';
import { captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';
import { createSignInRig } from '../../support/signin-rig.js';

/** The one sign-in tail every protocol ends in, and the two steps the SPA and the CLI share. */
const NOW = 1_795_338_000;
const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'saml',
      saml: {
        entityId: 'http://www.okta.com/exk1',
        ssoUrl: 'https://corp.okta.com/app/sso/saml',
        signingCertificates: ['MIIC'.padEnd(200, 'A')],
      },
      rules: [
        {
          id: 'devs',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'devs' }],
          grant: { roleArn: 'arn:aws:iam::111111111111:role/Dev' },
        },
      ],
    },
  ],
});
const identity = (groups: string[]): SessionIdentity => ({
  idp: 'okta',
  protocol: 'saml',
  issuer: 'http://www.okta.com/exk1',
  subject: 'alice',
  subjectRef: hashSubject('okta:alice'),
  claims: { groups },
});

describe('the sign-in tail (complete-sign-in)', () => {
  const rig = () => {
    const log = captureLogger();
    const attributes = createMemoryAttributeStore(config);
    return {
      log,
      attributes,
      ...createSignInRig({
        attributes,
        state: createMemoryStateStore(clockAtSeconds(NOW)),
        now: () => NOW,
        log,
      }),
    };
  };

  it('is its named steps, in order', () => {
    expect(rig().complete.steps).toEqual([
      'parseContinue',
      'requireGrants',
      'startSession',
      'continueToPage',
      'handBack',
    ]);
  });

  it('rules that grant nothing stop it at requireGrants: no_role_matched, no session, no STS, one line naming the step', async () => {
    const r = rig();
    const idp = await r.attributes.getIdp('okta');
    await expect(
      r.complete.browser({
        identity: identity(['contractors']),
        idp: idp as never,
        destination: undefined,
      }),
    ).rejects.toMatchObject({ code: 'no_role_matched' });
    expect(r.sessionStore.sessions.size).toBe(0);
    expect(r.sessionStore.calls.create).toBe(0);
    expect(r.assume).not.toHaveBeenCalled();
    expect(r.log.lines.filter((l) => l.message === 'flow step failed')).toEqual([
      {
        level: 'warn',
        message: 'flow step failed',
        attrs: [{ flow: 'complete-sign-in', step: 'requireGrants', code: 'no_role_matched' }],
      },
    ]);
  });
});

describe('loadSignedInIdp', () => {
  const attributes = createMemoryAttributeStore(config);
  const loadIdp = (id: string) => attributes.getIdp(id);

  it('the identity’s IdP as configured now', async () => {
    await expect(loadSignedInIdp(loadIdp, identity([]))).resolves.toMatchObject({ id: 'okta' });
  });

  it('an IdP removed since: session_invalid', async () => {
    await expect(loadSignedInIdp(loadIdp, { ...identity([]), idp: 'gone' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
  });

  it('an IdP whose protocol changed since: session_invalid', async () => {
    await expect(
      loadSignedInIdp(loadIdp, { ...identity([]), protocol: 'oidc' }),
    ).rejects.toMatchObject({ code: 'session_invalid' });
  });

  it('the caller’s own refusal when it gives one', async () => {
    const refuse = vi.fn((detail: string) => new Error(`refused: ${detail}`));
    await expect(
      loadSignedInIdp(loadIdp, { ...identity([]), idp: 'gone' }, refuse),
    ).rejects.toThrow('refused: idp gone is no longer configured');
  });
});

describe('recordFirstUse', () => {
  it('is best effort: a failed write resolves', async () => {
    const sessions = { recordFirstUse: vi.fn(async () => Promise.reject(new Error('throttled'))) };
    await expect(recordFirstUse(sessions, 'token', 'grant')).resolves.toBeUndefined();
    expect(sessions.recordFirstUse).toHaveBeenCalledWith('token', 'grant');
  });
});
