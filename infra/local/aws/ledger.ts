import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type Clock, systemClock } from '../../../shared/clock.js';

/** A session the STS stand-in issued: what the console stand-in shows after sign-in. */
export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** The STS action that issued it. */
  action: 'AssumeRoleWithSAML' | 'AssumeRoleWithWebIdentity';
  partition: string;
  accountId: string;
  roleArn: string;
  roleName: string;
  assumedRoleArn: string;
  sessionName: string;
  tags: readonly { key: string; value: string }[];
  transitiveTagKeys: readonly string[];
  /**
   * The SourceIdentity STS set on the session (AWS keeps it through role chaining and logs it in
   * CloudTrail; the kill switch denies by it). Absent when the assertion or token carried none.
   */
  sourceIdentity?: string;
  /** The assertion's Issuer and NameID, or the token's `iss` and `sub`. */
  issuer: string;
  subject: string;
  issuedAt: Date;
  expiration: Date;
  /** The SAML `SessionDuration` attribute, if sent. */
  sessionDurationAttribute?: number;
}

/** A SigninToken the federation stand-in issued. */
interface IssuedSigninToken {
  accessKeyId: string;
  createdAt: number;
  /** Console session length asked for with getSigninToken (SessionDuration). */
  consoleSessionSeconds: number | undefined;
}

/** AWS: a SigninToken is valid for 15 minutes. */
export const SIGNIN_TOKEN_TTL_MS = 15 * 60_000;
/** Bounds memory in a long-running `npm start`. */
const MAX_ENTRIES = 10_000;

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The stand-ins' shared memory: sessions the STS stand-in issued and SigninTokens the federation
 * stand-in issued for them. In memory only, like the credentials themselves.
 */
export const createLedger = (now: Clock = systemClock) => {
  const sessions = new Map<string, IssuedSession>();
  const tokens = new Map<string, IssuedSigninToken>();

  const prune = () => {
    const t = now();
    for (const [id, s] of sessions) if (s.expiration.getTime() <= t) sessions.delete(id);
    for (const [token, s] of tokens)
      if (t - s.createdAt >= SIGNIN_TOKEN_TTL_MS) tokens.delete(token);
    // Oldest first (Map keeps insertion order).
    for (const id of sessions.keys()) {
      if (sessions.size <= MAX_ENTRIES) break;
      sessions.delete(id);
    }
    for (const token of tokens.keys()) {
      if (tokens.size <= MAX_ENTRIES) break;
      tokens.delete(token);
    }
  };

  return {
    recordSession(session: IssuedSession): void {
      prune();
      sessions.set(session.accessKeyId, session);
    },
    /** Every unexpired session, oldest first (for tests and the start-up summary). */
    sessions(): IssuedSession[] {
      prune();
      return [...sessions.values()];
    },
    /** The unexpired session these three credentials belong to, all three matching exactly. */
    findSession(id: string, key: string, token: string): IssuedSession | undefined {
      const s = sessions.get(id);
      if (!s || s.expiration.getTime() <= now()) return undefined;
      return sameSecret(s.secretAccessKey, key) && sameSecret(s.sessionToken, token)
        ? s
        : undefined;
    },
    issueSigninToken(accessKeyId: string, consoleSessionSeconds: number | undefined): string {
      prune();
      const token = `LOCAL-${randomBytes(48).toString('base64url')}`;
      tokens.set(token, { accessKeyId, createdAt: now(), consoleSessionSeconds });
      return token;
    },
    /**
     * Redeems a SigninToken once: known, younger than 15 minutes, session still valid. The token
     * is gone afterwards, whatever the outcome.
     */
    redeemSigninToken(
      token: string,
    ):
      | { session: IssuedSession; consoleSessionSeconds: number | undefined; createdAt: number }
      | undefined {
      const issued = tokens.get(token);
      tokens.delete(token);
      if (!issued || now() - issued.createdAt >= SIGNIN_TOKEN_TTL_MS) return undefined;
      const session = sessions.get(issued.accessKeyId);
      if (!session || session.expiration.getTime() <= now()) return undefined;
      return {
        session,
        consoleSessionSeconds: issued.consoleSessionSeconds,
        createdAt: issued.createdAt,
      };
    },
  };
};

export type Ledger = ReturnType<typeof createLedger>;

/** An issued session without its two secrets: what `GET /_local/sts/sessions` lists. */
export type IssuedSessionSummary = Omit<IssuedSession, 'secretAccessKey' | 'sessionToken'>;

/** Drops the secret access key and session token (the access key id is an identifier, as in CloudTrail). */
export const summarizeSession = ({
  secretAccessKey: _secret,
  sessionToken: _token,
  ...summary
}: IssuedSession): IssuedSessionSummary => summary;
