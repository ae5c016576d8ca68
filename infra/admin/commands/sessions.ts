import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { hashSubject } from '../../../shared/log.js';
import { SessionRecordSchema } from '../../../shared/session/index.js';
import {
  createDynamoAttributeStore,
  createDynamoSessionStore,
  type ListedSession,
  type RevocationScope,
  SESSION_SHORT_ID_LENGTH,
  type SessionStore,
} from '../../../shared/store/index.js';
import { COMMON_OPTIONS, type Command, type CommandContext } from '../command.js';
import { CliFailure, UsageError } from '../errors.js';
import type { Revocation } from '../kill-switch.js';
import { type AppliedRevocation, createKillSwitch } from '../kill-switch-aws.js';
import {
  CLI_ENV,
  LOCAL_ATTRIBUTE_TABLE,
  resolveTarget,
  TARGET_OPTIONS,
  type TargetValues,
} from '../target.js';

/** The state table the local runner (`npm start`) creates. */
export const LOCAL_STATE_TABLE = 'fedgate-state';

/**
 * How long a revocation mark is kept: longer than any session can live (7 days, the largest
 * per-IdP maximum) plus a day, so every session it ends has ended anyway before it goes.
 */
export const REVOCATION_MARK_SECONDS = 8 * 86_400;

const LOOPBACK = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/;
const IDP = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const SUBJECT_REF = /^[0-9a-f]{16}$/;

const STATE_HELP = `Where (the state table):
  --state-table NAME   default: $STATE_TABLE_NAME; with a loopback --endpoint: fedgate-state,
                       the local runner's table
  --endpoint URL       a DynamoDB endpoint, e.g. the local runner's http://127.0.0.1:PORT
                       (default: $FEDGATE_DYNAMODB_ENDPOINT, then $AWS_ENDPOINT_URL_DYNAMODB)
  --region REGION      default: the AWS SDK's (AWS_REGION, AWS_PROFILE)`;

const STATE_OPTIONS = {
  endpoint: TARGET_OPTIONS.endpoint,
  region: TARGET_OPTIONS.region,
  'state-table': { type: 'string' },
} as const;

/** The session store of the state table the options name; `close()` releases its client. */
const openSessions = async (
  ctx: CommandContext,
): Promise<{ store: SessionStore; describe: string; close(): void }> => {
  const endpoint =
    (ctx.values.endpoint as string | undefined) ??
    ctx.io.env.FEDGATE_DYNAMODB_ENDPOINT ??
    ctx.io.env.AWS_ENDPOINT_URL_DYNAMODB;
  const isLocal = endpoint !== undefined && LOOPBACK.test(endpoint);
  const tableName =
    (ctx.values['state-table'] as string | undefined) ??
    ctx.io.env.STATE_TABLE_NAME ??
    (isLocal ? LOCAL_STATE_TABLE : undefined);
  if (tableName === undefined) {
    throw new UsageError(
      'give the state table: --state-table NAME (or $STATE_TABLE_NAME), or --endpoint URL for the local runner',
      ctx.command,
    );
  }
  // Endpoint, region and credentials resolved as for every other command.
  const target = await resolveTarget(
    { ...(ctx.values as TargetValues), table: tableName },
    ctx.io,
    ctx.command,
    { allowFile: false, resolvePath: ctx.resolvePath },
  );
  if (target.kind !== 'table') throw new UsageError('a table target is required', ctx.command);
  return {
    store: createDynamoSessionStore({ client: target.client, tableName }),
    describe: `state table ${tableName}${target.endpoint ? ` at ${target.endpoint}` : ''}`,
    close: () => target.client.destroy(),
  };
};

/** A rule that sets the SourceIdentity from a template instead of the subject reference. */
interface TemplatedSourceIdentity {
  ruleId: string;
  template: string;
}

/**
 * The IdP's rules that template their grants' SourceIdentity (`grant.sourceIdentity`): the AWS
 * sessions they hand out carry `<idp>.<rendered value>`, which a revocation by subject reference
 * does not name. Read from the attribute table (`--table`, `$ATTRIBUTE_TABLE_NAME`, the local
 * runner's with a loopback endpoint); `undefined` when it cannot be named or read (the caller says
 * so rather than stopping an emergency revocation).
 */
const templatedSourceIdentities = async (
  ctx: CommandContext,
  idp: string,
): Promise<TemplatedSourceIdentity[] | undefined> => {
  const endpoint =
    (ctx.values.endpoint as string | undefined) ??
    ctx.io.env[CLI_ENV.endpoint] ??
    ctx.io.env[CLI_ENV.sdkEndpoint];
  const tableName =
    (ctx.values.table as string | undefined) ??
    ctx.io.env[CLI_ENV.table] ??
    (endpoint !== undefined && LOOPBACK.test(endpoint) ? LOCAL_ATTRIBUTE_TABLE : undefined);
  if (tableName === undefined) return undefined;
  const target = await resolveTarget(
    { ...(ctx.values as TargetValues), table: tableName },
    ctx.io,
    ctx.command,
    { allowFile: false, resolvePath: ctx.resolvePath },
  );
  if (target.kind !== 'table') return undefined;
  try {
    const config = await createDynamoAttributeStore({
      client: target.client,
      tableName,
      directory: false,
    }).getIdp(idp);
    return (config?.rules ?? []).flatMap((r) =>
      r.effect === 'allow' && r.grant.sourceIdentity !== undefined
        ? [{ ruleId: r.id, template: r.grant.sourceIdentity }]
        : [],
    );
  } catch {
    return undefined;
  } finally {
    target.client.destroy();
  }
};

/** A session as the listing shows it: never the secret (the id is a hash of it, shortened). */
export interface SessionRow {
  id: string;
  idp: string;
  subjectRef: string;
  kind: string;
  client?: string;
  displayName?: string;
  createdAt: string;
  lastUsedAt: string;
  endsAt: string;
  live: boolean;
}

const rowOf = (s: ListedSession, nowSec: number): SessionRow | undefined => {
  const parsed = SessionRecordSchema.safeParse(s.record);
  if (!parsed.success) return undefined;
  const r = parsed.data;
  return {
    id: s.id.slice(0, SESSION_SHORT_ID_LENGTH),
    idp: r.identity.idp,
    subjectRef: r.identity.subjectRef,
    kind: r.kind,
    ...(r.client !== undefined ? { client: r.client } : {}),
    ...(r.identity.displayName !== undefined ? { displayName: r.identity.displayName } : {}),
    createdAt: new Date(r.createdAt).toISOString(),
    lastUsedAt: new Date(Number.isFinite(s.lastUsedAt) ? s.lastUsedAt : r.createdAt).toISOString(),
    endsAt: new Date(r.endsAt * 1000).toISOString(),
    live: s.expiresAt > nowSec,
  };
};

/** The subject reference of `--subject` (the IdP's immutable subject) or `--subject-ref`. */
const subjectRefOf = (ctx: CommandContext, idp: string | undefined): string | undefined => {
  const subject = ctx.values.subject as string | undefined;
  const ref = ctx.values['subject-ref'] as string | undefined;
  if (subject !== undefined && ref !== undefined) {
    throw new UsageError('give --subject or --subject-ref, not both', ctx.command);
  }
  if (ref !== undefined) {
    if (!SUBJECT_REF.test(ref)) throw new UsageError('--subject-ref: 16 hex digits', ctx.command);
    return ref;
  }
  if (subject === undefined) return undefined;
  if (idp === undefined) throw new UsageError('--subject needs --idp', ctx.command);
  return hashSubject(`${idp}:${subject}`);
};

const idpOf = (ctx: CommandContext): string | undefined => {
  const idp = ctx.values.idp as string | undefined;
  if (idp !== undefined && !IDP.test(idp)) throw new UsageError('--idp: an IdP id', ctx.command);
  return idp;
};

const collect = async (store: SessionStore, now: number) => {
  const rows: SessionRow[] = [];
  let unreadable = 0;
  for await (const s of store.list()) {
    const row = rowOf(s, now);
    if (row) rows.push(row);
    else unreadable++;
  }
  return { rows, unreadable };
};

export const sessionsListCommand: Command = {
  name: 'sessions list',
  summary: 'list fedgate sessions (portal, SPA, CLI), optionally of one IdP or person',
  help: `Usage: fedgate-admin sessions list [--idp ID] [--subject S | --subject-ref R] [--expired] [--json]

Lists the sessions in the state table: IdP, subject reference, client, created, last used, end.
Session secrets are never in the table (its keys are hashes), so nothing listed can be used to
sign in. --subject takes the IdP's immutable subject (e.g. an Okta user id, an Entra object id)
and needs --idp; --subject-ref the 16-hex reference fedgate logs. Expired sessions the table has
not deleted yet are shown with --expired. This reads the whole state table (a Scan): an
operator's command, never on a sign-in path.

${STATE_HELP}

Example:
  fedgate-admin sessions list --endpoint http://127.0.0.1:8000 --idp demo-okta`,
  options: {
    ...COMMON_OPTIONS,
    ...STATE_OPTIONS,
    idp: { type: 'string' },
    subject: { type: 'string' },
    'subject-ref': { type: 'string' },
    expired: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const idp = idpOf(ctx);
    const subjectRef = subjectRefOf(ctx, idp);
    const { store, describe, close } = await openSessions(ctx);
    const { rows, unreadable } = await collect(store, Math.floor(Date.now() / 1000)).finally(close);
    const shown = rows
      .filter((r) => (ctx.values.expired ? true : r.live))
      .filter((r) => idp === undefined || r.idp === idp)
      .filter((r) => subjectRef === undefined || r.subjectRef === subjectRef)
      .sort((a, b) => (a.lastUsedAt < b.lastUsedAt ? 1 : -1));
    const lines = shown.map(
      (r) =>
        `${r.id}  ${r.idp.padEnd(16)} ${r.subjectRef}  ${(r.client ? `${r.kind}:${r.client}` : r.kind).padEnd(14)} last used ${r.lastUsedAt}  ends ${r.endsAt}${r.live ? '' : ' (expired)'}${r.displayName ? `  ${r.displayName}` : ''}`,
    );
    return {
      json: { sessions: shown, unreadable },
      text: [
        `${shown.length} session${shown.length === 1 ? '' : 's'} in the ${describe}`,
        ...lines,
        ...(unreadable ? [`(${unreadable} unreadable session items skipped)`] : []),
      ].join('\n'),
    };
  },
};

export const sessionsRevokeCommand: Command = {
  name: 'sessions revoke',
  summary: 'end the sessions of one person, one IdP or everyone, from their next use',
  help: `Usage: fedgate-admin sessions revoke (--idp ID [--subject S | --subject-ref R] | --all) [--yes] [--json]

Ends fedgate sessions: every session of that scope started before now is refused at its next
use, in every container (a "revoked before" mark that each use reads with the session: one
read, no scan). A person can sign in again at once; revoking does not stop that (remove their
access at the IdP, or change the rules). AWS credentials already issued stay valid until they
expire (at most 15 minutes after the session's end for sessions fedgate hands out);
see the AWS kill switch in infra/cdk/README.md to cut those too.

  --idp ID --subject S     one person: the IdP's immutable subject (Okta user id, Entra object id)
  --idp ID --subject-ref R one person by the 16-hex reference fedgate logs
  --idp ID                 everyone who signed in through that IdP (needs --yes)
  --all                    everyone (needs --yes)
  --yes                    confirm a revocation of more than one person

The AWS kill switch (live AWS sessions too):
  --aws                    also deny, at IAM, every AWS session of that scope issued before now:
                           a statement on aws:SourceIdentity and aws:TokenIssueTime in the
                           fedgate-session-revocations boundary of every fedgate role, written
                           through the fedgate-revocation-writer role of each target account
                           (with your AWS credentials; see infra/cdk/README.md)
  --accounts A,B           the target accounts (12 digits each), required with --aws
  --partition P            aws (default), aws-cn or aws-us-gov
  --source-identity V      with --subject: another SourceIdentity of that person to deny
                           (repeatable; rules with a templated sourceIdentity); the default
                           <idp>.<subject ref> is always included. When the IdP's rules
                           template it, --aws --subject refuses to run without these (it would
                           leave those sessions live); the rules are read from the attribute
                           table (--table, $ATTRIBUTE_TABLE_NAME, or the local runner's)
  --table NAME             the attribute table, for that check

${STATE_HELP}

Examples:
  fedgate-admin sessions revoke --idp demo-okta --subject 00u1alice --endpoint http://127.0.0.1:8000
  fedgate-admin sessions revoke --idp okta --subject 00u1alice --aws --accounts 111111111111,222222222222`,
  options: {
    ...COMMON_OPTIONS,
    ...STATE_OPTIONS,
    idp: { type: 'string' },
    subject: { type: 'string' },
    'subject-ref': { type: 'string' },
    all: { type: 'boolean' },
    yes: { type: 'boolean' },
    aws: { type: 'boolean' },
    accounts: { type: 'string' },
    partition: { type: 'string' },
    'source-identity': { type: 'string', multiple: true },
    table: TARGET_OPTIONS.table,
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const idp = idpOf(ctx);
    const aws = awsOptionsOf(ctx);
    const subjectRef = subjectRefOf(ctx, idp);
    const all = ctx.values.all === true;
    if (all && (idp !== undefined || subjectRef !== undefined)) {
      throw new UsageError('--all revokes everyone: give it alone', ctx.command);
    }
    if (!all && idp === undefined) {
      throw new UsageError('give --idp ID (with --subject for one person) or --all', ctx.command);
    }
    const scope: RevocationScope = all
      ? { kind: 'all' }
      : subjectRef !== undefined
        ? { kind: 'subject', idp: idp as string, subjectRef }
        : { kind: 'idp', idp: idp as string };
    // Before anything is written: a deny of <idp>.<subject ref> alone would miss the sessions of
    // rules that template the SourceIdentity, and report the person's AWS access as cut.
    let unchecked = false;
    if (aws && scope.kind === 'subject') {
      const templated = await templatedSourceIdentities(ctx, scope.idp);
      unchecked = templated === undefined;
      if (templated && templated.length > 0 && aws.sourceIdentities.length === 0) {
        throw new CliFailure(
          'source_identity_templated',
          `${scope.idp}'s rules ${templated.map((t) => `${t.ruleId} (sourceIdentity "${t.template}")`).join(', ')} hand out AWS sessions whose SourceIdentity is "${scope.idp}.<that value for this person>", not ${scope.idp}.${scope.subjectRef}: give this person's value of each with --source-identity ${scope.idp}.<value>, or revoke the IdP (--idp ${scope.idp} --yes)`,
        );
      }
    }
    const { store, describe, close } = await openSessions(ctx);
    let result: Awaited<ReturnType<typeof revoke>>;
    try {
      result = await revoke(ctx, store, scope, describe);
    } finally {
      close();
    }
    if (!aws) return result;
    const applied = await withKillSwitch(ctx, result, scope, aws);
    if (!unchecked) return applied;
    return {
      ...applied,
      json: { ...(applied.json as object), sourceIdentityTemplatesChecked: false },
      text: `${applied.text}\nSourceIdentity templates of ${idp}'s rules not checked (name the attribute table with --table or $ATTRIBUTE_TABLE_NAME): sessions of rules that template it are denied only if given with --source-identity.`,
    };
  },
};

const revoke = async (
  ctx: CommandContext,
  store: SessionStore,
  scope: RevocationScope,
  describe: string,
) => {
  const now = Date.now();
  const { rows } = await collect(store, Math.floor(now / 1000));
  const affected = rows.filter(
    (r) =>
      r.live &&
      (scope.kind === 'all' ||
        (r.idp === scope.idp && (scope.kind === 'idp' || r.subjectRef === scope.subjectRef))),
  );
  const what =
    scope.kind === 'all'
      ? 'every session'
      : scope.kind === 'idp'
        ? `every session of IdP ${scope.idp}`
        : `the sessions of ${scope.idp} subject ${scope.subjectRef}`;
  if (scope.kind !== 'subject' && ctx.values.yes !== true) {
    throw new CliFailure(
      'confirmation_required',
      `this would end ${what} (${affected.length} live now) in the ${describe}; run again with --yes to do it`,
    );
  }
  await store.revoke(scope, now, Math.floor(now / 1000) + REVOCATION_MARK_SECONDS);
  return {
    json: {
      revoked: scope,
      revokedBefore: new Date(now).toISOString(),
      sessionsEnded: affected.length,
    },
    text: [
      `revoked ${what} started before ${new Date(now).toISOString()}: ${affected.length} live session${affected.length === 1 ? '' : 's'} end at their next use (${describe})`,
      // A subject is matched exactly as the IdP sends it (case and all): one typed differently
      // names nobody, and the person's sessions live on.
      ...(scope.kind === 'subject' && affected.length === 0
        ? [
            `no live session has this subject reference: if the person is signed in, the subject is not exactly what ${scope.idp} sends (case, prefix); see their reference with: fedgate-admin sessions list --idp ${scope.idp}`,
          ]
        : []),
    ].join('\n'),
  };
};

const ACCOUNT = /^\d{12}$/;
const SOURCE_IDENTITY = /^[A-Za-z0-9_+=,.@-]{2,64}$/;

interface AwsOptions {
  accounts: string[];
  partition: 'aws' | 'aws-cn' | 'aws-us-gov';
  sourceIdentities: string[];
}

/** `--aws` and its options, checked before anything is written. */
const awsOptionsOf = (ctx: CommandContext): AwsOptions | undefined => {
  const extra = (ctx.values['source-identity'] as string[] | undefined) ?? [];
  if (ctx.values.aws !== true) {
    for (const name of ['accounts', 'partition', 'source-identity']) {
      if (ctx.values[name] !== undefined)
        throw new UsageError(`--${name} needs --aws`, ctx.command);
    }
    return undefined;
  }
  const accounts = String(ctx.values.accounts ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (accounts.length === 0 || !accounts.every((a) => ACCOUNT.test(a))) {
    throw new UsageError(
      '--aws needs --accounts with 12-digit account ids, comma-separated',
      ctx.command,
    );
  }
  const partition = (ctx.values.partition as string | undefined) ?? 'aws';
  if (partition !== 'aws' && partition !== 'aws-cn' && partition !== 'aws-us-gov') {
    throw new UsageError('--partition: aws, aws-cn or aws-us-gov', ctx.command);
  }
  for (const v of extra) {
    if (!SOURCE_IDENTITY.test(v) || v.startsWith('aws:')) {
      throw new UsageError(
        `--source-identity: not a SourceIdentity: ${JSON.stringify(v)}`,
        ctx.command,
      );
    }
  }
  if (
    extra.length > 0 &&
    ctx.values.subject === undefined &&
    ctx.values['subject-ref'] === undefined
  ) {
    throw new UsageError('--source-identity goes with --subject', ctx.command);
  }
  return { accounts: [...new Set(accounts)], partition, sourceIdentities: extra };
};

/** IAM is global: its endpoint region per partition. */
const IAM_REGION = { aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' };

/**
 * After the fedgate mark: the same revocation at IAM in every target account, one by one; a
 * failing account does not stop the others, and the result says which ones hold it.
 */
const withKillSwitch = async (
  ctx: CommandContext,
  result: Awaited<ReturnType<typeof revoke>>,
  scope: RevocationScope,
  aws: AwsOptions,
) => {
  const revokedBefore = new Date((result.json as { revokedBefore: string }).revokedBefore);
  const revocation: Revocation = {
    issuedBefore: revokedBefore,
    scope:
      scope.kind === 'all'
        ? { kind: 'all' }
        : scope.kind === 'idp'
          ? { kind: 'idp', idp: scope.idp }
          : {
              kind: 'subject',
              sourceIdentities: [
                ...new Set([`${scope.idp}.${scope.subjectRef}`, ...aws.sourceIdentities]),
              ],
            },
  };
  const region = (ctx.values.region as string | undefined) ?? ctx.io.env.AWS_REGION;
  const sts = new STSClient({ ...(region ? { region } : {}) });
  const iams: IAMClient[] = [];
  const killSwitch = createKillSwitch({
    sts,
    iamFor: (credentials) => {
      const iam = new IAMClient({ region: IAM_REGION[aws.partition], credentials });
      iams.push(iam);
      return iam;
    },
  });
  const applied: AppliedRevocation[] = [];
  const failed: { account: string; code: string; message: string }[] = [];
  try {
    for (const account of aws.accounts) {
      try {
        applied.push(await killSwitch.apply({ account, partition: aws.partition }, revocation));
      } catch (err) {
        const code = err instanceof CliFailure ? err.code : 'kill_switch_failed';
        failed.push({ account, code, message: (err as Error).message });
      }
    }
  } finally {
    sts.destroy();
    for (const iam of iams) iam.destroy();
  }
  const lines = [
    result.text,
    ...applied.map(
      (a) =>
        `AWS ${a.account}: ${a.changed ? `denied in ${a.versionId} of ${a.policyArn}` : 'already denied (nothing written)'}`,
    ),
    ...failed.map((f) => `AWS ${f.account}: NOT denied: ${f.code}: ${f.message}`),
    'IAM applies a policy change within seconds to a few minutes (eventual consistency).',
  ];
  return {
    json: {
      ...(result.json as object),
      aws: {
        applied: applied.map(({ account, changed, versionId, policyArn }) => ({
          account,
          changed,
          versionId,
          policyArn,
        })),
        failed,
      },
    },
    text: lines.join('\n'),
    ...(failed.length > 0 ? { exitCode: 1 as const } : {}),
  };
};
