import { type Clock, systemClock } from '../clock.js';
import type { IdpConfig } from '../config/index.js';
import type { Log } from '../log.js';
import { subjectRefOf } from '../mapping/index.js';
import type { RevocationScope } from '../store/index.js';
import type { DirectoryUser } from './types.js';

/**
 * How long a deprovisioning's revocation mark is kept: longer than any session lives (7 days, the
 * largest per-IdP maximum) plus a day, as `fedgate-admin sessions revoke` keeps its marks.
 */
export const DEPROVISIONING_MARK_SECONDS = 8 * 86_400;

/** The most session ids one audit line names (`sessionsEnded` still counts them all). */
const MAX_AUDITED_SESSIONS = 100;

/** The session side of deprovisioning (the state table's session store). */
export interface SessionRevoker {
  revoke(scope: RevocationScope, before: number, expiresAt: number): Promise<void>;
  /** The person's sessions that may be live, by short id (as the admin listing shows them). */
  liveSessions?(idp: string, subjectRef: string, now: number): Promise<string[]>;
}

/** One account's outcome of the AWS kill switch. */
export interface KillSwitchOutcome {
  account: string;
  applied: boolean;
  /** The refusal's code when not applied (e.g. `kill_switch_access_denied`). */
  code?: string;
}

/**
 * Denies, at IAM, the AWS sessions of these SourceIdentities issued before a moment, in each
 * target account (infra/admin/kill-switch-aws.ts through the revocation writer role).
 */
export type AwsKillSwitch = (request: {
  sourceIdentities: readonly string[];
  issuedBefore: Date;
  accounts: readonly string[];
  partition: 'aws' | 'aws-cn' | 'aws-us-gov';
}) => Promise<KillSwitchOutcome[]>;

/** Why a person was deprovisioned. */
export type DeprovisionReason = 'deleted' | 'deactivated';

/**
 * Ends a deprovisioned person's access at once (shared/directory/README.md):
 * 1. finds their sessions that may be live (the session index, by short id; best effort);
 * 2. writes the "revoked before now" mark of their subject (the session revocation every use of a
 *    session reads, in every container: their fedgate sessions end at their next use);
 * 3. with the IdP's `directory.deprovisioning.awsKillSwitch`, denies their live AWS sessions at IAM
 *    in those accounts (by the default SourceIdentity `<idp>.<subject ref>`); a failure there is
 *    logged at error and does not undo 1–2;
 * 4. writes one audit line: who (IdP, subject reference, SCIM id), why, by whom, which sessions
 *    ended (`sessions`, their short ids as `fedgate-admin sessions list` shows them, at most
 *    100; `sessionsEnded`, how many), and the kill switch's outcome per account.
 * The mark is written before the directory changes (the caller's order), so a failure leaves the
 * person revoked and the request failing, and the IdP's retry completes it.
 * @throws temporarily_unavailable when the mark cannot be written.
 */
export const createDeprovisioning =
  ({
    sessions,
    killSwitch,
    log,
    clock = systemClock,
  }: {
    sessions: SessionRevoker;
    killSwitch?: AwsKillSwitch;
    log: Log;
    clock?: Clock;
  }) =>
  async (
    idp: IdpConfig,
    user: Pick<DirectoryUser, 'id' | 'subject'>,
    reason: DeprovisionReason,
  ): Promise<void> => {
    const now = clock();
    const nowSec = Math.floor(now / 1000);
    const subjectRef = subjectRefOf(idp.id, user.subject);
    let ended: string[] | undefined;
    try {
      ended = await sessions.liveSessions?.(idp.id, subjectRef, nowSec);
    } catch {
      ended = undefined;
    }
    await sessions.revoke(
      { kind: 'subject', idp: idp.id, subjectRef },
      now,
      nowSec + DEPROVISIONING_MARK_SECONDS,
    );
    const target = idp.directory?.deprovisioning.awsKillSwitch;
    let aws: KillSwitchOutcome[] | undefined;
    if (target && killSwitch) {
      try {
        aws = await killSwitch({
          sourceIdentities: [`${idp.id}.${subjectRef}`],
          issuedBefore: new Date(now),
          accounts: target.accounts,
          partition: target.partition,
        });
      } catch (err) {
        aws = target.accounts.map((account) => ({
          account,
          applied: false,
          code: (err as { code?: string }).code ?? 'kill_switch_failed',
        }));
      }
      if (aws.some((o) => !o.applied)) {
        log.error('deprovisioning kill switch incomplete', {
          idp: idp.id,
          subject: subjectRef,
          accounts: aws,
          hint: 'run fedgate-admin sessions revoke --aws for this person',
        });
      }
    } else if (target) {
      log.error('deprovisioning kill switch unavailable', { idp: idp.id, subject: subjectRef });
    }
    log.info('directory user deprovisioned', {
      idp: idp.id,
      subject: subjectRef,
      scimId: user.id,
      reason,
      by: 'scim',
      sessionsRevokedBefore: new Date(now).toISOString(),
      ...(ended !== undefined
        ? { sessionsEnded: ended.length, sessions: ended.slice(0, MAX_AUDITED_SESSIONS) }
        : {}),
      ...(aws ? { awsKillSwitch: aws } : {}),
    });
  };

export type Deprovisioning = ReturnType<typeof createDeprovisioning>;
