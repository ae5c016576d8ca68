import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { GatewayConfig, IdpConfig } from '../../../shared/config/index.js';
import { createDirectoryJoin, createDirectoryReader } from '../../../shared/directory/index.js';
import {
  applyDirectory,
  type Explanation,
  explain,
  type Grant,
  type Identity,
  loadRegexEngine,
  needsRegexEngine,
} from '../../../shared/mapping/index.js';
import { mapOidcIdentity } from '../../../shared/oidc/claims.js';
import { OidcGroupOverageError } from '../../../shared/oidc/errors.js';
import { mapSamlIdentity } from '../../../shared/saml/claims.js';
import { SamlGroupOverageError } from '../../../shared/saml/errors.js';
import { parseIdpMetadata } from '../../../shared/saml/trust.js';
import { createDynamoDirectoryStore } from '../../../shared/store/index.js';
import { COMMON_OPTIONS, type Command, TARGET_HELP, VAR_HELP } from '../command.js';
import { readConfig } from '../config-source.js';
import { CliFailure } from '../errors.js';
import { TARGET_OPTIONS, type Target } from '../target.js';

/** A claims file: `{ subject?, issuer?, claims: {…} }`, or the claims alone (an ID token payload). */
export interface ClaimsFile {
  subject?: string;
  issuer?: string;
  /** The claims as written: SAML reads them as attributes (strings), OIDC as ID token claims. */
  raw: Record<string, unknown>;
}

const toValues = (name: string, value: unknown): string[] => {
  const one = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new CliFailure(
      'invalid_claims',
      `claim ${JSON.stringify(name)}: values must be strings, numbers or booleans`,
    );
  };
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value.map(one) : [one(value)];
};

/**
 * Reads a claims file (JSON or YAML). With a `claims` object, `subject` and `issuer` sit beside
 * it; without, the whole object is the claims (paste an ID token payload as it is).
 * @throws CliFailure invalid_claims.
 */
export const parseClaimsFile = (text: string, what: string): ClaimsFile => {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw new CliFailure('invalid_claims', `${what}: ${(err as Error).message.split('\n')[0]}`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(doc)) throw new CliFailure('invalid_claims', `${what}: want a JSON/YAML object`);
  const structured = isObject(doc.claims);
  const raw = (structured ? doc.claims : doc) as Record<string, unknown>;
  const stringField = (key: string) => {
    const v = structured ? doc[key] : undefined;
    if (v !== undefined && typeof v !== 'string') {
      throw new CliFailure('invalid_claims', `${what}: ${key} must be a string`);
    }
    return v as string | undefined;
  };
  const subject = stringField('subject');
  const issuer = stringField('issuer');
  return {
    raw,
    ...(subject !== undefined ? { subject } : {}),
    ...(issuer !== undefined ? { issuer } : {}),
  };
};

/**
 * The Identity the gateway would build from these claims, through the gateway's own
 * `mapSamlIdentity` (the file's `subject` as the NameID) or `mapOidcIdentity` (the claims as ID
 * token claims): aliases, subject claim, tenant allowlists, overage.
 * @throws the gateway's identity errors (saml_tenant_not_allowed, oidc_tenant_not_allowed,
 * saml_group_overage, …) or CliFailure.
 */
export const buildIdentity = (idp: IdpConfig, file: ClaimsFile): Identity => {
  if (idp.protocol === 'oidc') {
    // The ID token's claims as they are; `subject` / `issuer` beside `claims` stand for sub / iss.
    return mapOidcIdentity(idp, {
      iss: file.issuer ?? idp.oidc.issuer,
      ...(file.subject !== undefined ? { sub: file.subject } : {}),
      ...file.raw,
    });
  }
  const attributes = Object.fromEntries(
    Object.entries(file.raw).map(([name, value]) => [name, toValues(name, value)]),
  );
  const nameId = file.subject ?? attributes.nameId?.[0];
  if (nameId === undefined && idp.subjectClaim === undefined) {
    throw new CliFailure(
      'subject_invalid',
      `IdP ${idp.id} takes the subject from the NameID: give "subject" in the claims file`,
    );
  }
  const issuer =
    file.issuer ??
    idp.saml.entityId ??
    (idp.saml.metadataXml ? parseIdpMetadata(idp.saml.metadataXml).entityId : idp.id);
  return mapSamlIdentity(idp, {
    assertionId: '_explain',
    issuer,
    nameId: nameId ?? '',
    notOnOrAfter: 0,
    attributes,
  });
};

/**
 * The identity with the IdP's directory joined, as the gateway would (shared/directory/join.ts):
 * from the table's `DIR#<idp>#…` items for a table target; a config file has no directory, so
 * `directory.*` read as missing and an overage is refused as the gateway refuses one it cannot
 * resolve.
 * @throws the gateway's directory and overage errors.
 */
export const joinForExplain = async (
  idp: IdpConfig,
  identity: Identity,
  target: Target,
): Promise<Identity> => {
  if (idp.directory === undefined) return identity;
  if (target.kind === 'table') {
    const store = createDynamoDirectoryStore({
      client: target.client,
      tableName: target.tableName,
    });
    return createDirectoryJoin(createDirectoryReader({ store }))(idp, identity);
  }
  if ((identity.groupsOverage?.length ?? 0) > 0) {
    const detail = 'the groups came as an overage and a config file has no directory (use --table)';
    throw idp.protocol === 'saml'
      ? new SamlGroupOverageError(detail)
      : new OidcGroupOverageError(detail);
  }
  return applyDirectory(identity, undefined, idp.directory.claims);
};

const mark = (holds: boolean) => (holds ? '✓' : '✗');

const grantLines = (g: Grant, indent: string): string[] => [
  `${indent}role             ${g.roleArn}`,
  `${indent}account          ${g.accountId}${g.accountAlias ? ` (${g.accountAlias})` : ''}`,
  `${indent}label            ${g.label}`,
  `${indent}session name     ${g.sessionName}`,
  `${indent}source identity  ${g.sourceIdentity ?? '(none)'}`,
  `${indent}duration         ${g.durationSeconds} s`,
  `${indent}session tags     ${g.tags.length === 0 ? '(none)' : g.tags.map((t) => `${t.key}=${t.value}`).join(', ')}`,
  `${indent}transitive keys  ${g.transitiveTagKeys.length === 0 ? '(none)' : g.transitiveTagKeys.join(', ')}`,
];

/** The explanation as text: rules in evaluation order with each condition, then the grants. */
export const formatExplanation = (identity: Identity, result: Explanation): string => {
  const lines = [
    `IdP ${identity.idp}, subject ${identity.subject}, issuer ${identity.issuer}`,
    '',
    'Rules, in evaluation order:',
  ];
  for (const rule of result.rules) {
    const what =
      rule.effect === 'allow' ? rule.roleArn : (rule.roleArns?.join(', ') ?? 'every role');
    const scope =
      rule.scope === 'gateway'
        ? 'gateway rule, '
        : rule.scope === 'account'
          ? 'disabled account, '
          : '';
    lines.push(
      `  ${mark(rule.matched)} ${rule.ruleId} (${scope}priority ${rule.priority}, ${rule.effect} ${what}): ${rule.outcome}`,
    );
    for (const c of rule.conditions) {
      lines.push(`      ${mark(c.holds)} ${c.reason}${c.source ? ` [from ${c.source}]` : ''}`);
    }
    if (rule.effect === 'allow') {
      if (rule.deniedBy) lines.push(`      denied by ${rule.deniedBy}`);
      if (rule.shadowedBy) lines.push(`      shadowed by ${rule.shadowedBy}`);
      for (const p of rule.problems) lines.push(`      problem: ${p}`);
      for (const [key, sources] of Object.entries(rule.tagSources ?? {})) {
        lines.push(`      tag ${key} [from ${sources.join(', ')}]`);
      }
      for (const f of rule.tagFit ?? []) {
        lines.push(
          `      tag ${f.key}: ${f.kept} value(s) kept in ${f.emittedKeys.join(', ')}${f.shortened ? `, ${f.shortened} shortened` : ''}, ${f.dropped.length} dropped`,
          ...f.dropped.map((d) => `        dropped ${JSON.stringify(d.value)}: ${d.reason}`),
        );
      }
    }
  }
  lines.push('');
  if (result.denied) lines.push(`Denied: rule ${result.deniedBy.join(', ')} refuses every role.`);
  lines.push(`Grants (${result.grants.length}):`);
  for (const g of result.grants) {
    lines.push(`  ${g.label} — rule ${g.ruleId}`, ...grantLines(g, '    '));
  }
  if (result.grants.length === 0)
    lines.push('  (none: this person would be refused with no_role_matched)');
  return lines.join('\n');
};

export const explainCommand: Command = {
  name: 'explain',
  summary: 'which grants would these claims get, and why',
  help: `Usage: fedgate-admin explain --idp ID --claims FILE (--config FILE | --table NAME | --endpoint URL) [--json]

Runs the gateway's mapping for one IdP on the claims in FILE and shows every rule in evaluation
order — the gateway-wide deny rules first, then the IdP's — with each condition, whether it
holds and why (its quantifier, whether it ignores case, and what a missing claim decides: "claim
employeeType is missing: this deny holds (fail closed)"), then the grants that would be minted:
role, account, session name, source identity, duration, session tags and transitive tag keys.
The claims go through the gateway's own identity mapping (claim aliases, subject claim, Entra
tenant allowlist and group overage, Google hosted domain), so a refusal there exits 1 with the
error code the gateway would answer. For an IdP with a directory, a table target (--table,
--endpoint) joins the person's directory data (directory.* values, merged claims, an overage's
groups) and each condition and each session tag of a matched rule says where its values came
from ([from token], [from directory:scim]…); tags with a fit policy list the values they kept,
dropped (and why) and spread.
A config file has no directory: directory.* read as missing.

The claims file (JSON or YAML):
  { "subject": "<NameID or sub>", "issuer": "<optional>",
    "claims": { "groups": ["aws-admins", "eng"], "email": "alice@example.com" } }
or the claims alone, e.g. an ID token payload ({ "sub": …, "email": …, "groups": [...] }).

Options:
  --idp ID             the IdP whose rules apply
  --claims FILE        the claims file
${TARGET_HELP}
${VAR_HELP}

Example:
  fedgate-admin explain --idp demo-okta --claims alice.json --config gateway.yaml`,
  options: {
    ...COMMON_OPTIONS,
    ...TARGET_OPTIONS,
    idp: { type: 'string' },
    claims: { type: 'string' },
    var: { type: 'string', multiple: true },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const idpId = ctx.required('idp');
    const claimsPath = ctx.required('claims');
    const target = await ctx.openTarget();
    let text: string;
    try {
      text = await readFile(ctx.resolvePath(claimsPath), 'utf8');
    } catch (err) {
      throw new CliFailure(
        'invalid_claims',
        `cannot read ${claimsPath}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    const file = parseClaimsFile(text, claimsPath);
    const config: GatewayConfig = await readConfig(target, ctx.vars);
    const idp = config.idps.find((i) => i.id === idpId);
    if (!idp) {
      throw new CliFailure(
        'unknown_idp',
        `no IdP "${idpId}" in the ${target.describe} (it has: ${config.idps.map((i) => i.id).join(', ')})`,
      );
    }
    const identity = await joinForExplain(idp, buildIdentity(idp, file), target);
    const { gatewayRules } = config;
    const regex = needsRegexEngine({ rules: idp.rules, gatewayRules })
      ? await loadRegexEngine()
      : undefined;
    const result = explain({
      identity,
      rules: idp.rules,
      gatewayRules,
      defaults: config.defaults,
      accounts: config.accounts,
      ...(regex ? { regex } : {}),
    });
    return {
      json: {
        idp: idp.id,
        identity: {
          subject: identity.subject,
          issuer: identity.issuer,
          claims: identity.claims,
          ...(identity.provenance ? { sources: identity.provenance } : {}),
        },
        ...result,
      },
      text: formatExplanation(identity, result),
    };
  },
};
