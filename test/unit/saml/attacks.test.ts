/**
 * The attack corpus of SECURITY.md §3 against fedgate's verifier: each case is a shape generated
 * at test time from a valid, IdP-signed response (test/support/saml/make-saml-fixtures.ts) and
 * asserts the error `code`, never the message.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../shared/http/errors.js';
import { verifyWithFedgate } from '../../support/saml/fedgate-verify.js';
import {
  buildSamlCorpus,
  createSamlFixtureEnv,
  type SamlCase,
  type SamlCaseGroup,
} from '../../support/saml/make-saml-fixtures.js';

const NOW = 1_795_338_000; // 2026-11-22T09:00:00Z
const env = await createSamlFixtureEnv(NOW);
const corpus = buildSamlCorpus(env);
const byGroup = (group: SamlCaseGroup) => corpus.filter((c) => c.group === group);
const refused = (cases: SamlCase[]) =>
  cases.filter((c) => c.expect !== 'accept').map((c) => [c.name, c] as const);

describe('accepted shapes', () => {
  it.each(corpus.filter((c) => c.expect === 'accept').map((c) => [c.name, c] as const))(
    '%s',
    (_, c) => {
      const result = verifyWithFedgate(env, c);
      expect(result.issuer).toBe('http://www.okta.com/exkfedgate1');
      if (c.accepted?.nameId !== undefined) expect(result.nameId).toBe(c.accepted.nameId);
      if (c.accepted?.attribute) {
        const [name, values] = c.accepted.attribute;
        expect(Object.hasOwn(result.attributes, name)).toBe(true);
        expect(result.attributes[name]).toEqual(values);
      }
      if (c.accepted?.oneTimeUse) expect(result.oneTimeUse).toBe(true);
    },
  );
});

for (const group of ['wrapping', 'signature', 'parser', 'values', 'protocol'] as const) {
  describe(`refused: ${group}`, () => {
    it.each(refused(byGroup(group)))('%s', (_, c) => {
      expect(() => verifyWithFedgate(env, c)).toThrow(expect.objectContaining({ code: c.expect }));
    });
  });
}

describe('every refusal', () => {
  it('is a GatewayError: 400/403, exposed, a saml_* code, a generic description and a detail', () => {
    for (const c of corpus.filter((x) => x.expect !== 'accept')) {
      let caught: unknown;
      try {
        verifyWithFedgate(env, c);
      } catch (err) {
        caught = err;
      }
      expect(caught, c.name).toBeInstanceOf(GatewayError);
      const err = caught as GatewayError;
      expect([400, 403], c.name).toContain(err.status);
      expect(err.expose, c.name).toBe(true);
      expect(err.code, c.name).toMatch(/^saml_[a-z_]+$/);
      expect(err.detail, c.name).toBeTruthy();
      // The description is what a person sees: it never carries the precise reason.
      expect(err.description, c.name).not.toContain(err.detail as string);
    }
  });

  it('covers every attack class of SECURITY.md §3', () => {
    const names = corpus.map((c) => c.name);
    for (const shape of [
      /^xsw1\./,
      /^xsw2\./,
      /^xsw3\./,
      /^xsw4\./,
      /^xsw5\./,
      /^xsw6\./,
      /^xsw7\./,
      /^xsw8\./,
      /subject-confirmation-data$/,
      /multiple-root-elements/,
      /two-signed-assertions/,
      /^wrap\.ids\./,
      /uri-empty/,
      /two-references/,
      /xpath-transform/,
      /xslt-transform/,
      /^signature\.stripped$/,
      /response-signed$/,
      /resigned-by-attacker/,
      /rsa-sha1/,
      /sha1-digest/,
      /hmac/,
      /with-comments/,
      /^valid\.rollover\./,
      /^rollover\.removed/,
      /xxe\.file/,
      /xxe\.metadata-url/,
      /billion-laughs/,
      /doctype-alone/,
      /oversize/,
      /deep-nesting/,
      /utf16/,
      /^cve-2024-45409\./,
      /^cve-2025-25291\./,
      /^cve-2025-25292\./,
      /^cve-2025-29774\./,
      /^cve-2025-29775\./,
      /^cve-2022-39300\./,
      /^cve-2025-47949\./,
      /nameid\.comment-injection/,
      /attribute\.comment-injection/,
      /confusable/,
      /character-reference/,
      /duplicate-name/,
      /nameid\.empty/,
      /nameid\.huge/,
      /^audience\.wrong/,
      /^audience\.missing/,
      /^recipient\.wrong/,
      /subject-confirmation-data\.expired/,
      /^destination\.wrong/,
      /^issuer\.wrong/,
      /^status\./,
      /^skew\./,
      /^conditions\.missing/,
      /^in-response-to\.unknown/,
      /^in-response-to\.unsolicited/,
      /^idp-b\.response-posted-to-idp-a/,
      /^encrypted\./,
    ]) {
      expect(
        names.some((n) => shape.test(n)),
        String(shape),
      ).toBe(true);
    }
  });
});
