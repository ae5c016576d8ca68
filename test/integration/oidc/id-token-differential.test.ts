import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useDynamoDb } from '../../support/dynamodb.js';
import { ID_TOKEN_CATALOGUE } from './id-token-catalogue.js';
import { cookieOf, createRig, oidcIdp, type Rig } from './rig.js';
import { type RogueOp, startRogueOp } from './rogue-op.js';

const CLIENT_ID = 'fedgate';

/** RFC 7515 §4.1.9 read independently of fedgate: a media type, `application/` implied. */
const isJwtType = (typ: unknown): boolean =>
  typeof typ === 'string' &&
  (typ.includes('/') ? typ : `application/${typ}`).toLowerCase() === 'application/jwt';

/**
 * The reference verdict: jose's `jwtVerify` with what fedgate is configured with (the OP's JWKS as
 * it serves it, the pinned RS256, issuer, audience, clock tolerance, required claims, the one-hour
 * `maxTokenAge` oauth4webapi applies to `iat`), plus, written out here, the OIDC Core §3.1.3.7
 * checks jose leaves to its caller: header `typ` absent or JWT, `iat` not in the future beyond
 * the tolerance, `azp` (required with several audiences, our client id when present) and `nonce`.
 */
const joseVerdict = async (
  idToken: string,
  opts: { jwks: JSONWebKeySet; issuer: string; nonce: string; clockTolerance: number },
): Promise<{ accepted: boolean; reason: string }> => {
  try {
    const { payload, protectedHeader } = await jwtVerify(idToken, createLocalJWKSet(opts.jwks), {
      algorithms: ['RS256'],
      issuer: opts.issuer,
      audience: CLIENT_ID,
      clockTolerance: opts.clockTolerance,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      maxTokenAge: 3600,
    });
    if (protectedHeader.typ !== undefined && !isJwtType(protectedHeader.typ)) {
      return { accepted: false, reason: 'typ' };
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat !== 'number' || payload.iat > now + opts.clockTolerance) {
      return { accepted: false, reason: 'iat' };
    }
    if (typeof payload.sub !== 'string') return { accepted: false, reason: 'sub' };
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (audiences.length > 1 && payload.azp === undefined)
      return { accepted: false, reason: 'azp' };
    if (payload.azp !== undefined && payload.azp !== CLIENT_ID) {
      return { accepted: false, reason: 'azp' };
    }
    if (payload.nonce !== opts.nonce) return { accepted: false, reason: 'nonce' };
    return { accepted: true, reason: 'accepted' };
  } catch (err) {
    return { accepted: false, reason: (err as { code?: string }).code ?? String(err) };
  }
};

/**
 * Differential: every ID token of the catalogue goes through fedgate's relying party (openid-client
 * claims, fedgate's own signature, typ and iat checks) and through jose. The two must agree on
 * accept or refuse for every case, so the hand-written check cannot drift from a well-kept
 * library unnoticed; fedgate's code must also be the catalogue's.
 */
describe('ID tokens: fedgate and jose agree on every case of the catalogue', () => {
  const db = useDynamoDb();
  let rogue: RogueOp;

  beforeAll(async () => {
    rogue = await startRogueOp();
  });
  afterAll(() => rogue?.stop());
  afterEach(() => {
    rogue.scenario = {};
    rogue.issued = undefined;
  });

  const fedgateVerdict = async (rig: Rig): Promise<string> => {
    const login = await rig.login('rogue');
    const back = await fetch(String(login.headers?.location), { redirect: 'manual' });
    const callbackUrl = new URL(String(back.headers.get('location')));
    try {
      const res = await rig.callback('rogue', callbackUrl, cookieOf(login));
      // Two grants: a session, then the portal (303); nothing refused.
      return res.statusCode === 303 ? 'accepted' : `status ${res.statusCode}`;
    } catch (err) {
      return (err as { code?: string }).code ?? `uncoded: ${String(err)}`;
    }
  };

  it.each(ID_TOKEN_CATALOGUE.map((c) => [c.name, c] as const))(
    '%s',
    async (_, { scenario, expected, clockSkewSeconds = 0 }) => {
      const rig = createRig(db, [oidcIdp('rogue', { issuer: rogue.issuer, clientId: CLIENT_ID })], {
        clockSkewSeconds,
      });
      rogue.scenario = await scenario(rogue);
      const fedgate = await fedgateVerdict(rig);
      const issued = rogue.issued;
      if (!issued) throw new Error('the rogue OP issued no ID token');
      const jose = await joseVerdict(issued.idToken, {
        jwks: rogue.jwks() as JSONWebKeySet,
        issuer: rogue.issuer,
        nonce: issued.nonce,
        clockTolerance: clockSkewSeconds,
      });
      expect({ fedgate: fedgate === 'accepted', jose: jose.accepted }).toEqual({
        fedgate: expected === 'accepted',
        jose: expected === 'accepted',
      });
      expect(fedgate).toBe(expected);
    },
  );

  it('the harness itself refuses what it must (a verdict that always agrees would prove nothing)', async () => {
    const rig = createRig(db, [oidcIdp('rogue', { issuer: rogue.issuer, clientId: CLIENT_ID })]);
    expect(await fedgateVerdict(rig)).toBe('accepted');
    const issued = rogue.issued;
    if (!issued) throw new Error('the rogue OP issued no ID token');
    const base = { jwks: rogue.jwks() as JSONWebKeySet, issuer: rogue.issuer, clockTolerance: 0 };
    expect(await joseVerdict(issued.idToken, { ...base, nonce: issued.nonce })).toEqual({
      accepted: true,
      reason: 'accepted',
    });
    expect(await joseVerdict(issued.idToken, { ...base, nonce: 'another' })).toEqual({
      accepted: false,
      reason: 'nonce',
    });
    expect(
      (await joseVerdict(issued.idToken, { ...base, jwks: { keys: [] }, nonce: issued.nonce }))
        .accepted,
    ).toBe(false);
  });
});
