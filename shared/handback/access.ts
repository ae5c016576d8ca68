import { type Clock, epochSeconds, systemClock } from '../clock.js';
import type { Log, Meter } from '../log.js';
import type { Grant } from '../mapping/index.js';
import type { AwsSession, RoleAssumption, SignedInPerson } from './types.js';

/** The least STS accepts (`DurationSeconds` ≥ 900). */
export const MIN_CREDENTIAL_SECONDS = 900;

/** What AWS access is being handed out for: counted and logged per target. */
export type AccessTarget = 'console' | 'keys' | 'spa' | 'cli';

export interface AwsAccessDeps {
  /** Per protocol: mint (SAML assertion / web identity token) and call STS. */
  assume: Readonly<Record<SignedInPerson['protocol'], RoleAssumption>>;
  /** getSigninToken + login URL through the federation endpoint. */
  consoleUrl: (session: AwsSession, destination: URL, durationSeconds: number) => Promise<URL>;
  log: Log;
  /** Counts what was handed out (`Access` by protocol and target); none when absent. */
  meter?: Meter;
  /** The clock (shared/clock.ts); default the system's. */
  clock?: Clock;
}

/**
 * AWS access for one grant of a live session: credentials (STS) and the console (the federation
 * endpoint). Credentials never outlive the fedgate session by more than STS's minimum duration, so
 * ending a session (sign-out, expiry, revocation) leaves at most 15 minutes of credentials behind,
 * which the AWS kill switch can cut too.
 * @throws the role assumption's sts_* / kms codes, temporarily_unavailable.
 */
export const createAwsAccess = (deps: AwsAccessDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => epochSeconds(clock);

  const credentials = async (
    grant: Grant,
    person: SignedInPerson,
    opts: { sessionEndsAt: number; target: AccessTarget },
  ): Promise<AwsSession> => {
    const durationSeconds = Math.max(
      MIN_CREDENTIAL_SECONDS,
      Math.min(grant.durationSeconds, opts.sessionEndsAt - now()),
    );
    const session = await deps.assume[person.protocol]({ ...grant, durationSeconds }, person);
    // One audit line per hand-out, written only once it succeeded; no secrets, the subject as an
    // opaque reference.
    deps.log.info('federation completed', {
      idp: person.idp,
      protocol: person.protocol,
      subject: person.subjectRef,
      ruleId: grant.ruleId,
      roleArn: grant.roleArn,
      sourceIdentity: grant.sourceIdentity,
      tagKeys: grant.tags.map((t) => t.key),
      durationSeconds,
      target: opts.target,
    });
    deps.meter?.count('SignIns', { protocol: person.protocol, target: opts.target });
    return session;
  };

  return {
    credentials,
    /** Credentials for the grant, then the console sign-in URL for them (a secret: 302 only). */
    async console(
      grant: Grant,
      person: SignedInPerson,
      opts: { destination: URL; sessionEndsAt: number },
    ): Promise<URL> {
      const session = await credentials(grant, person, { ...opts, target: 'console' });
      const remaining = Math.floor((session.expiration.getTime() - now() * 1000) / 1000);
      return deps.consoleUrl(session, opts.destination, Math.min(grant.durationSeconds, remaining));
    },
  };
};

export type AwsAccess = ReturnType<typeof createAwsAccess>;
