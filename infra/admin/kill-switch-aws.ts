import {
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  type IAMClient,
  ListPolicyVersionsCommand,
  type PolicyVersion,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { classifyTransientSdkFailure, sdkErrorName } from '../../shared/aws-sdk-errors.js';
import { type Clock, systemClock } from '../../shared/clock.js';
import { CliFailure } from './errors.js';
import {
  coversRevocation,
  mergeRevocationPolicies,
  REVOCATION_POLICY_NAME,
  type Revocation,
  type RevocationPolicyDocument,
  revocationPolicyArn,
  revocationWriterRoleArn,
} from './kill-switch.js';

/**
 * The kill switch's AWS adapter: applies a revocation in one target account. It assumes
 * `fedgate-revocation-writer` there with the operator's credentials (STS AssumeRole), then with
 * IAM reads the default version of `fedgate-session-revocations`, builds the next document
 * (./kill-switch.ts) and makes it the default (CreatePolicyVersion with SetAsDefault), deleting the
 * oldest non-default version first when IAM's five are all taken.
 *
 * No partial state: the document is built and checked (size, grammar, a current version it does
 * not recognise) before anything is written, and the only write that changes what is enforced is
 * the single CreatePolicyVersion that also sets it as the default. If that fails after an old
 * version was deleted to make room, the live document is unchanged (the error says which history
 * version went).
 *
 * Concurrent operators: IAM numbers versions v1, v2, … and never reuses a number. A write whose
 * new version is not the one right after the version it was built from raced another writer, so
 * the versions in between are read and merged in, and it writes again (at most three attempts).
 */

/** The writer role's temporary credentials (what an SDK client's `credentials` takes). */
export interface WriterCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
}

/** What the adapter sends to STS (the operator's credentials: built by the caller). */
export type KillSwitchStsPort = Pick<STSClient, 'send'>;
/** What the adapter sends to IAM. */
export type KillSwitchIamPort = Pick<IAMClient, 'send'>;

export interface KillSwitchDeps {
  /** An STS client holding the operator's credentials. */
  sts: KillSwitchStsPort;
  /**
   * An IAM client for the writer role's credentials, e.g.
   * `(credentials) => new IAMClient({ region: 'us-east-1', credentials })`.
   */
  iamFor: (credentials: WriterCredentials) => KillSwitchIamPort;
  /** The clock (shared/clock.ts; default the system's). */
  clock?: Clock;
}

/** One target account. */
export interface KillSwitchTarget {
  account: string;
  /** Default `aws`. */
  partition?: 'aws' | 'aws-cn' | 'aws-us-gov';
}

/** What applying a revocation in one account did. */
export interface AppliedRevocation {
  account: string;
  policyArn: string;
  /** False when the policy already denied everything the revocation asks (nothing written). */
  changed: boolean;
  /** The default version now in force, e.g. `v7`. */
  versionId: string;
  /** The version the change was built from. */
  previousVersionId: string;
  /** History versions deleted to make room (IAM keeps five). */
  deletedVersionIds: string[];
  /** The document in force. */
  document: RevocationPolicyDocument;
}

/** IAM keeps at most five versions of a managed policy. */
const MAX_POLICY_VERSIONS = 5;
const MAX_ATTEMPTS = 3;
/** The writer role's session: long enough for a few IAM calls, the minimum STS allows. */
const WRITER_SESSION_SECONDS = 900;

const versionNumber = (id: string | undefined): number => {
  const m = /^v(\d+)$/.exec(id ?? '');
  if (!m) throw new CliFailure('kill_switch_failed', `IAM gave an unexpected version id ${id}`);
  return Number(m[1]);
};

/** IAM returns policy documents URL-encoded (RFC 3986). */
const decodeDocument = (encoded: string | undefined, versionId: string): unknown => {
  try {
    return JSON.parse(decodeURIComponent(encoded ?? ''));
  } catch (cause) {
    throw new CliFailure(
      'revocation_policy_unrecognized',
      `${REVOCATION_POLICY_NAME} ${versionId} is not a JSON policy document`,
      { cause },
    );
  }
};

/** An AWS error as a clear CLI failure: what to fix, never a credential. */
const translate = (err: unknown, step: string, context: string, extra = ''): CliFailure => {
  if (err instanceof CliFailure) return err;
  const name = sdkErrorName(err);
  const transient = classifyTransientSdkFailure(err);
  if (transient?.kind === 'throttled') {
    return new CliFailure(
      'kill_switch_throttled',
      `${step} in ${context}: AWS throttled the request after the SDK's retries${extra}; run it again`,
      { cause: err },
    );
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    return new CliFailure(
      'kill_switch_access_denied',
      `${step} in ${context}: access denied${extra}. The operator must be one of the stage's revocationWriters (deploy the trust stack after changing them), and the writer role may only touch ${REVOCATION_POLICY_NAME}`,
      { cause: err },
    );
  }
  if (name === 'NoSuchEntity' || name === 'NoSuchEntityException') {
    return new CliFailure(
      'kill_switch_policy_missing',
      `${step} in ${context}: ${REVOCATION_POLICY_NAME} does not exist${extra}: deploy the target-account stack there`,
      { cause: err },
    );
  }
  const why = transient ? transient.reason : name;
  return new CliFailure('kill_switch_failed', `${step} in ${context} failed (${why})${extra}`, {
    cause: err,
  });
};

/**
 * Creates the kill switch's AWS adapter.
 * @example
 * const killSwitch = createKillSwitch({
 *   sts: new STSClient({ region }),
 *   iamFor: (credentials) => new IAMClient({ region: 'us-east-1', credentials }),
 * });
 * await killSwitch.apply({ account: '210987654321' }, { scope: { kind: 'idp', idp: 'okta' }, issuedBefore: new Date() });
 */
export const createKillSwitch = (deps: KillSwitchDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => new Date(clock());

  /**
   * Applies a revocation in one account (see the module comment).
   * @throws CliFailure kill_switch_access_denied, kill_switch_policy_missing,
   *   kill_switch_throttled, kill_switch_conflict, kill_switch_failed, and the builder's
   *   revocation_invalid, revocation_policy_unrecognized, revocation_policy_too_large (nothing
   *   written in any of these cases, but for the history version an error message names).
   */
  const apply = async (
    target: KillSwitchTarget,
    revocation: Revocation,
  ): Promise<AppliedRevocation> => {
    const partition = target.partition ?? 'aws';
    const policyArn = revocationPolicyArn(partition, target.account);
    const roleArn = revocationWriterRoleArn(partition, target.account);
    const context = `account ${target.account}`;

    let credentials: WriterCredentials;
    try {
      const out = await deps.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: 'fedgate-kill-switch',
          DurationSeconds: WRITER_SESSION_SECONDS,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
        throw new CliFailure('kill_switch_failed', `AssumeRole ${roleArn} gave no credentials`);
      }
      credentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        ...(c.Expiration ? { expiration: c.Expiration } : {}),
      };
    } catch (err) {
      throw translate(err, `assuming ${roleArn}`, context);
    }
    const iam = deps.iamFor(credentials);

    const call = async <T>(step: string, run: () => Promise<T>, extra = ''): Promise<T> => {
      try {
        return await run();
      } catch (err) {
        throw translate(err, step, context, extra);
      }
    };
    const readVersion = async (versionId: string) => {
      const out = await call(`reading ${REVOCATION_POLICY_NAME} ${versionId}`, () =>
        iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })),
      );
      return decodeDocument(out.PolicyVersion?.Document, versionId);
    };

    const deleted: string[] = [];
    // The version this call started from: every version newer than it may hold another
    // operator's revocation, so each attempt merges them all.
    let startNumber: number | undefined;
    let startVersionId = '';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const policy = await call(`reading ${REVOCATION_POLICY_NAME}`, () =>
        iam.send(new GetPolicyCommand({ PolicyArn: policyArn })),
      );
      const defaultId = policy.Policy?.DefaultVersionId ?? '';
      const defaultNumber = versionNumber(defaultId);
      if (startNumber === undefined) {
        startNumber = defaultNumber;
        startVersionId = defaultId;
      }
      const listed = await call(`listing the versions of ${REVOCATION_POLICY_NAME}`, () =>
        iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn, MaxItems: 100 })),
      );
      const versions: PolicyVersion[] = listed.Versions ?? [];
      const newer = versions
        .map((v) => v.VersionId ?? '')
        .filter((id) => id !== defaultId && versionNumber(id) > (startNumber as number));
      const current = await readVersion(defaultId);
      const others = await Promise.all(newer.map(readVersion));

      const at = now();
      // Built and checked before any write: a refusal here leaves everything as it is.
      const next = mergeRevocationPolicies([current, ...others], at, [revocation]);
      if (others.length === 0 && coversRevocation(current, revocation, at)) {
        return {
          account: target.account,
          policyArn,
          changed: false,
          versionId: defaultId,
          previousVersionId: startVersionId,
          deletedVersionIds: deleted,
          document: mergeRevocationPolicies([current], at),
        };
      }

      if (versions.length >= MAX_POLICY_VERSIONS) {
        const oldest = versions
          .filter((v) => !v.IsDefaultVersion && v.VersionId !== defaultId)
          .sort((a, b) => versionNumber(a.VersionId) - versionNumber(b.VersionId))[0];
        if (oldest?.VersionId) {
          const victim = oldest.VersionId;
          await call(`deleting ${REVOCATION_POLICY_NAME} ${victim} (IAM keeps five versions)`, () =>
            iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: victim })),
          );
          deleted.push(victim);
        }
      }

      const note =
        deleted.length > 0
          ? ` (the version in force is unchanged; history version ${deleted.join(', ')} was deleted to make room)`
          : ' (the version in force is unchanged)';
      let created: string;
      try {
        const out = await iam.send(
          new CreatePolicyVersionCommand({
            PolicyArn: policyArn,
            PolicyDocument: JSON.stringify(next),
            SetAsDefault: true,
          }),
        );
        created = out.PolicyVersion?.VersionId ?? '';
      } catch (err) {
        // Another writer took the fifth slot between our delete and our create: start over.
        if (sdkErrorName(err) === 'LimitExceeded' && attempt < MAX_ATTEMPTS) continue;
        throw translate(err, `writing ${REVOCATION_POLICY_NAME}`, context, note);
      }
      if (versionNumber(created) === defaultNumber + 1) {
        return {
          account: target.account,
          policyArn,
          changed: true,
          versionId: created,
          previousVersionId: startVersionId,
          deletedVersionIds: deleted,
          document: next,
        };
      }
      // Another operator wrote between our read and our write: merge their version(s) in.
    }
    throw new CliFailure(
      'kill_switch_conflict',
      `${REVOCATION_POLICY_NAME} in ${context} kept changing under concurrent writers; run it again (what was written so far only adds denies)`,
    );
  };

  return { apply };
};
