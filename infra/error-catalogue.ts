/**
 * The error-code catalogue, generated from the code itself: every `GatewayError` subclass that a
 * module of shared/ exports is constructed, and the catalogue prints what the wire then carries —
 * the error's own status, code and description when it is exposed, the error middleware's
 * `server_error` otherwise — with the person's next step for the code they see
 * (shared/http/next-steps.ts) and the operator's for the code in the log. `npm run errors` writes
 * shared/http/ERRORS.md; test/infra/error-catalogue.test.ts fails when that file is stale and
 * when an entry's sample, thrown inside the functions' handler, comes out otherwise.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SERVER_ERROR } from '../shared/http/error-middleware.js';
import { GatewayError } from '../shared/http/errors.js';
import { NEXT_STEPS, type NextStep } from '../shared/http/next-steps.js';
import { SCIM_TYPES, scimBadRequest } from '../shared/scim/errors.js';
import { SCIM_MAX_BODY_BYTES } from '../shared/scim/json.js';

export interface CatalogueEntry {
  /** The code the error is raised with (and logged with). */
  code: string;
  /** The HTTP status the client gets: the error's own when exposed, else 500. */
  status: number;
  /** The status the error is raised with (differs from `status` only when not exposed). */
  raisedStatus: number;
  /** Whether the client sees this code and description (else `server_error`). */
  exposed: boolean;
  /** The code the client gets: `code` when exposed, else `server_error`. */
  sentAs: string;
  /** The description the client gets (the error page's text, JSON's `error_description`). */
  description: string;
  /** Error classes raising it, with the file that exports each. */
  raisedBy: string[];
  /** The next step the error page shows for the code the client gets. */
  person: string;
  operator: string;
  /** One instance of the error, to throw through a handler (not rendered). */
  sample: GatewayError;
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
 * @throws Error when a code has no next step (the person would be left without one), or is
 * sent with two statuses or descriptions.
 */
export const buildErrorCatalogue = async (root: string): Promise<CatalogueEntry[]> => {
  const sharedDir = join(root, 'shared');
  const files = readdirSync(sharedDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !SKIP.test(f))
    .sort();
  const byCode = new Map<string, CatalogueEntry>();
  const add = (err: GatewayError, raisedBy: string) => {
    const step = NEXT_STEPS[err.code];
    const shown = err.expose ? err : SERVER_ERROR;
    const entry = byCode.get(err.code) ?? {
      code: err.code,
      status: shown.status,
      raisedStatus: err.status,
      exposed: err.expose,
      sentAs: shown.code,
      description: shown.description,
      raisedBy: [],
      person: NEXT_STEPS[shown.code]?.person ?? '',
      operator: operatorStep(err.code, err.status, step),
      sample: err,
    };
    // One code, one answer: two classes whose same code goes out with different statuses or
    // descriptions would make its row true for only one of them.
    if (entry.status !== shown.status || entry.description !== shown.description) {
      throw new Error(`${err.code} goes out with two statuses or descriptions (${raisedBy})`);
    }
    if (!entry.raisedBy.includes(raisedBy)) entry.raisedBy.push(raisedBy);
    byCode.set(err.code, entry);
  };
  add(
    new GatewayError(SERVER_ERROR.status, SERVER_ERROR.code, SERVER_ERROR.description),
    'any error that is not a GatewayError',
  );
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
  const missing = entries.filter((e) => !NEXT_STEPS[e.code]).map((e) => e.code);
  if (missing.length)
    throw new Error(`no next step in shared/http/next-steps.ts for ${missing.join(', ')}`);
  return entries;
};

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The catalogue as markdown. */
export const renderErrorCatalogue = (entries: readonly CatalogueEntry[]): string =>
  `# Error codes

Generated by \`npm run errors\` from the error classes themselves (infra/error-catalogue.ts);
test/infra/error-catalogue.test.ts fails when this file is stale, and throws every entry through
the functions' handler to check that the wire carries exactly this status, code, description and
next step. Browser routes answer with an error page (the description, the code, the next step
with a link, the support contact and the request id); API routes with
\`{ "error": "<code>", "error_description": "<description>" }\`. A code that is not exposed goes
out as \`server_error\` with status 500, whatever status it is raised with: the person sees
\`server_error\`, the operator finds the code and its detail in the log line (by the request id).

| code | status sent | the person sees | what the person can do | what the operator does |
|---|---|---|---|---|
${entries
  .map(
    (e) =>
      `| \`${e.code}\` | ${e.status} | ${e.exposed ? cell(e.description) : `\`${e.sentAs}\`: ${cell(e.description)}`} | ${cell(e.person)} | ${cell(e.operator)} |`,
  )
  .join('\n')}

Raised by:

${entries
  .map(
    (e) =>
      `- \`${e.code}\`${e.raisedStatus === e.status ? '' : ` (raised as ${e.raisedStatus}, sent as ${e.status} \`${e.sentAs}\`)`}: ${e.raisedBy.join(', ')}`,
  )
  .join('\n')}
`;
