/**
 * The error-code catalogue, generated from the code itself: every `GatewayError` subclass that a
 * module of shared/ exports is constructed, and its status, code, exposure and description are
 * what the wire carries; the person's next step comes from shared/http/next-steps.ts. `npm run
 * errors` writes shared/http/ERRORS.md; a test fails when that file is stale, so the catalogue
 * cannot disagree with what fedgate sends.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GatewayError } from '../shared/http/errors.js';
import { NEXT_STEPS, type NextStep } from '../shared/http/next-steps.js';
import { SCIM_TYPES, scimBadRequest } from '../shared/scim/errors.js';
import { SCIM_MAX_BODY_BYTES } from '../shared/scim/json.js';

export interface CatalogueEntry {
  code: string;
  status: number;
  /** Whether the person sees this code and description (else `server_error`). */
  exposed: boolean;
  description: string;
  /** Error classes raising it, with the file that exports each. */
  raisedBy: string[];
  person: string;
  operator: string;
}

// Browser and command-line clients run elsewhere and raise no gateway errors.
const SKIP = /^(browser-client|cli-client)\//;

type ErrorClass = new (...args: never[]) => GatewayError;

/** The arguments each kind of constructor takes; most take `(detail, opts?)`. */
const argumentSets = (name: string): unknown[][] => {
  switch (name) {
    case 'OidcUpstreamInvalidError':
      return [
        ['oidc_response_too_large', 'detail'],
        ['oidc_discovery_invalid', 'detail'],
      ];
    case 'OidcIdpError':
      return [['access_denied', 'detail']];
    case 'MethodNotAllowedError':
      return [[['GET']]];
    case 'DependencyUnavailableError':
      return [['dynamodb', 'detail']];
    case 'ScimNotFoundError':
      return [['User']];
    case 'ScimNotImplementedError':
      return [['This operation']];
    case 'ScimPayloadTooLargeError':
      return [[SCIM_MAX_BODY_BYTES]];
    // The SCIM protocol errors (`scim_<scimType>`): each raise names its own attribute, filter or
    // limit in the description, so the catalogue shows what they have in common.
    case 'ScimError':
      return SCIM_TYPES.map((t) => {
        const err = scimBadRequest(t, '');
        return [
          err.status,
          err.code,
          `Not valid for this SCIM service provider (scimType ${t}); the description names the attribute, filter or limit.`,
          { scimType: t },
        ];
      });
    default:
      return [['detail']];
  }
};

/** What an operator does about a code, from its status, its family and the person's step. */
const operatorStep = (code: string, status: number, step: NextStep | undefined): string => {
  if (status === 503)
    return 'A dependency failed or throttled; the `request refused` log line names it. Check its health and limits.';
  if (code.startsWith('sts_'))
    return 'Fix the IAM setting the log line names (trust policy, maximum session duration, provider, session tags).';
  if (code.startsWith('mint_'))
    return "A grant's rendered values broke AWS's rules at mint time: check the rule's templates with `npm run admin -- explain`.";
  if (code.startsWith('kms_') || code.startsWith('issuer_'))
    return "Check fedgate's signing key: its KMS key policy, alias and the function's grant (the log line's detail).";
  if (status >= 500)
    return 'A misconfiguration or a bug: the `request failed` log line (find it by the request id) says which; fix what it names.';
  if (code === 'no_role_matched' || code === 'grant_not_available')
    return 'Expected when the rules grant nothing; if they should, run `npm run admin -- explain` with the person’s claims.';
  if (code === 'session_revoked') return 'Expected after `npm run admin -- sessions revoke`.';
  if (step?.action === 'contact')
    return 'The IdP or app set-up needs a change: the log line’s detail names the setting (compare with the IdP config).';
  if (step?.action === 'other-idp')
    return 'Expected for people of another organisation or tenant; widen the IdP config only if they belong.';
  return 'Nothing, unless it repeats for many people: then the log line’s detail shows the pattern.';
};

/**
 * Builds the catalogue by constructing every exported `GatewayError` subclass of shared/.
 * @throws Error when a code has no next step (the person would be left without one).
 */
export const buildErrorCatalogue = async (root: string): Promise<CatalogueEntry[]> => {
  const sharedDir = join(root, 'shared');
  const files = readdirSync(sharedDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !SKIP.test(f))
    .sort();
  const byCode = new Map<string, CatalogueEntry>();
  const add = (err: GatewayError, raisedBy: string) => {
    const step = NEXT_STEPS[err.code];
    const entry = byCode.get(err.code) ?? {
      code: err.code,
      status: err.status,
      exposed: err.expose,
      description: err.description,
      raisedBy: [],
      person: step?.person ?? '',
      operator: operatorStep(err.code, err.status, step),
    };
    if (!entry.raisedBy.includes(raisedBy)) entry.raisedBy.push(raisedBy);
    byCode.set(err.code, entry);
  };
  add(new GatewayError(500, 'server_error', 'Something went wrong on our side.'), 'GatewayError');
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(sharedDir, file)).href)) as Record<
      string,
      unknown
    >;
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value !== 'function' || !(value.prototype instanceof GatewayError)) continue;
      for (const args of argumentSets(name)) {
        add(
          new (value as ErrorClass)(...(args as never[])),
          `${name} (${relative(root, join(sharedDir, file))})`,
        );
      }
    }
  }
  const entries = [...byCode.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
  const missing = entries.filter((e) => e.person === '').map((e) => e.code);
  if (missing.length)
    throw new Error(`no next step in shared/http/next-steps.ts for ${missing.join(', ')}`);
  return entries;
};

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The catalogue as markdown. */
export const renderErrorCatalogue = (entries: readonly CatalogueEntry[]): string =>
  `# Error codes

Generated by \`npm run errors\` from the error classes themselves (infra/error-catalogue.ts): a
test fails when this file differs from what the code sends. Browser routes answer with an error
page (the description, the next step with a link, the support contact and the request id); API
routes with \`{ "error": "<code>", "error_description": "<description>" }\`. A code that is not
exposed goes out as \`server_error\` (500); its detail is only in the log.

| code | status | shown to the person | what the person can do | what the operator does |
|---|---|---|---|---|
${entries
  .map(
    (e) =>
      `| \`${e.code}\` | ${e.status} | ${e.exposed ? cell(e.description) : '(as `server_error`)'} | ${cell(e.person)} | ${cell(e.operator)} |`,
  )
  .join('\n')}

Raised by:

${entries.map((e) => `- \`${e.code}\`: ${e.raisedBy.join(', ')}`).join('\n')}
`;
