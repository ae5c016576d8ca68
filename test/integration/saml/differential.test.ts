/**
 * The attack corpus through three verifiers: fedgate, samlify 2.13.1 (without and with its
 * xmllint schema validator) and @node-saml/node-saml 5.1.0, each as strictly configured as it
 * allows, at the same (faked) clock. fedgate must refuse every attack with its code; where the
 * others disagree with fedgate is documentation — shared/saml/README.md carries the table between
 * its `differential` markers, and this test fails when the table no longer matches what the
 * libraries do (run with UPDATE_SAML_README=1 to rewrite it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fedgateOutcome } from '../../support/saml/fedgate-verify.js';
import {
  buildSamlCorpus,
  certificatesFor,
  createSamlFixtureEnv,
  IDP_ENTITY_ID,
  SAML_SP,
  type SamlCase,
} from '../../support/saml/make-saml-fixtures.js';
import {
  createNodeSamlVerifier,
  createSamlifyVerifier,
  type OtherOutcome,
  useSamlifySchemaValidator,
} from '../../support/saml/other-verifiers.js';

const README = join(import.meta.dirname, '../../../shared/saml/README.md');
const BEGIN = '<!-- differential:begin -->';
const END = '<!-- differential:end -->';
const LEGIT_NAME_ID = 'jane.doe@corp.example';

const env = await createSamlFixtureEnv();
const corpus = buildSamlCorpus(env);
const LIBS = ['samlify', 'samlify + xmllint', 'node-saml'] as const;
type Lib = (typeof LIBS)[number];
const results = new Map<string, { fedgate: string } & Record<Lib, OtherOutcome>>();

const setupFor = (c: SamlCase) => ({
  certificates: certificatesFor(env, c.idp?.certificates),
  idpEntityId: IDP_ENTITY_ID,
  spEntityId: SAML_SP.entityId,
  acsUrl: SAML_SP.acsUrl,
  wantAssertionsSigned: !c.idp?.allowUnsignedAssertion,
  expectedInResponseTo: c.input?.expectedInResponseTo,
});

// Printable ASCII only in the README: what a library returned may hold controls, bidi overrides…
const quote = (s: string) =>
  JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s)
    .replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
    )
    .replace(/\|/g, '\\|');
const cell = (o: OtherOutcome) =>
  !o.accepted
    ? 'rejects'
    : o.nameId === LEGIT_NAME_ID
      ? 'accepts'
      : `accepts as ${quote(o.nameId)}`;

const renderTable = (): string => {
  const rows = corpus.flatMap((c) => {
    const r = results.get(c.name);
    if (!r) return [];
    const fedgateAccepts = r.fedgate === 'accept';
    if (LIBS.every((lib) => r[lib].accepted === fedgateAccepts)) return [];
    return [
      `| \`${c.name}\` | ${fedgateAccepts ? 'accepts' : `\`${r.fedgate}\``} | ${LIBS.map((lib) => (r[lib].accepted === fedgateAccepts ? cell(r[lib]) : `**${cell(r[lib])}**`)).join(' | ')} |`,
    ];
  });
  return [
    `| case | fedgate | ${LIBS.join(' | ')} |`,
    `|---|---|${LIBS.map(() => '---').join('|')}|`,
    ...rows,
  ].join('\n');
};

beforeAll(async () => {
  // Quiet: samlify warns on console, the xmllint wasm prints blank lines.
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  vi.useFakeTimers({ toFake: ['Date'] });
  const at = (c: SamlCase) => vi.setSystemTime((env.now + (c.input?.nowOffset ?? 0)) * 1000);
  const partial = new Map<string, Partial<Record<Lib, OtherOutcome>>>();
  for (const [lib, validator] of [
    ['samlify', 'none'],
    ['samlify + xmllint', 'xmllint'],
  ] as const) {
    useSamlifySchemaValidator(validator);
    for (const c of corpus) {
      at(c);
      const outcome = await createSamlifyVerifier(setupFor(c))(c.samlResponseB64);
      partial.set(c.name, { ...partial.get(c.name), [lib]: outcome });
    }
  }
  for (const c of corpus) {
    at(c);
    const outcome = await createNodeSamlVerifier(setupFor(c))(c.samlResponseB64);
    results.set(c.name, {
      fedgate: fedgateOutcome(env, c),
      ...(partial.get(c.name) as Record<Lib, OtherOutcome>),
      'node-saml': outcome,
    });
  }
  vi.useRealTimers();
  if (process.env.UPDATE_SAML_README) {
    const readme = await readFile(README, 'utf8');
    const start = readme.indexOf(BEGIN) + BEGIN.length;
    await writeFile(
      README,
      `${readme.slice(0, start)}\n${renderTable()}\n${readme.slice(readme.indexOf(END))}`,
    );
  }
}, 120_000);

afterAll(() => {
  vi.restoreAllMocks();
});

describe('differential: fedgate vs samlify vs node-saml', () => {
  it('fedgate answers every case as the corpus says (accept, or the exact code)', () => {
    for (const c of corpus) expect(results.get(c.name)?.fedgate, c.name).toBe(c.expect);
  });

  it('fedgate accepts nothing another verifier refuses, but a KeyInfo it ignores by design', () => {
    const onlyFedgateAccepts = corpus
      .filter((c) => results.get(c.name)?.fedgate === 'accept')
      .filter((c) => LIBS.some((lib) => !results.get(c.name)?.[lib].accepted))
      .map((c) => c.name);
    expect(onlyFedgateAccepts).toEqual(['valid.keyinfo.replaced-by-attacker-cert-is-ignored']);
  });

  it('the table of disagreements in shared/saml/README.md is what the libraries do today', async () => {
    const readme = await readFile(README, 'utf8');
    const documented = readme
      .slice(readme.indexOf(BEGIN) + BEGIN.length, readme.indexOf(END))
      .trim();
    expect(documented, 'rerun with UPDATE_SAML_README=1 and review the diff').toBe(renderTable());
  });
});
