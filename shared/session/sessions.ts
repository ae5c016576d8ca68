import { type Clock, systemClock } from '../clock.js';
import type { IdpConfig } from '../config/index.js';
import type { Log } from '../log.js';
import { type Grant, identityForRules, type Mapper, subjectRefOf } from '../mapping/index.js';
import type { RevocationScope, SessionStore } from '../store/index.js';
import { SessionInvalidError, SessionRevokedError } from './errors.js';
import {
  identityOf,
  type SessionIdentity,
  type SessionKind,
  type SessionRecord,
  SessionRecordSchema,
} from './record.js';
import {
  formatSessionToken,
  newSessionToken,
  parseSessionToken,
  type SessionToken,
  sessionIdOf,
} from './token.js';

/** A session's bounds from the IdP's config: its maximum lifetime and its idle timeout. */
export interface SessionLifetime {
  maxSeconds: number;
  idleSeconds: number;
}

/** How long recently used grant ids are remembered per session. */
const MAX_RECENT = 10;
/**
 * A use within this many ms of the last recorded one writes nothing (unless it changes the recent
 * list): the idle timer needs minutes, not milliseconds, and most uses stay one read.
 */
const TOUCH_GRANULARITY_MS = 60_000;
/**
 * How far ahead of this container's clock a stored time may be: another container wrote it, and
 * Lambda clocks agree within far less. Anything later was not written by fedgate at `start` or
 * `touch`: a record dated ahead would outlive every "revoked before" mark and its maximum
 * lifetime, a use dated ahead would never go idle.
 */
const CLOCK_TOLERANCE_MS = 60_000;

/** A session that passed every check at this use, with what the current rules grant it now. */
export interface LiveSession {
  token: SessionToken;
  /** The token's wire form (what the cookie or the CLI holds). */
  tokenValue: string;
  record: SessionRecord;
  idp: IdpConfig;
  /** The current rules' grants for the stored identity (empty when a deny removed all). */
  grants: readonly Grant[];
  /** Grant ids most recently used first. */
  recent: readonly string[];
  /** Epoch seconds: the session's absolute end under the IdP's current settings. */
  endsAt: number;
  /** Epoch seconds: when it ends if nobody uses it (the idle timeout from this use on). */
  idleEndsAt: number;
  lastUsedAt: number;
}

export interface SessionServiceDeps {
  store: SessionStore;
  /** The IdP's current config (cached per container like every attribute read), or undefined. */
  loadIdp: (idpId: string) => Promise<IdpConfig | undefined>;
  /** The IdP's compiled rules (with the gateway-wide rules). */
  mapperFor: (idp: IdpConfig) => Promise<Mapper>;
  log: Log;
  /** The clock (shared/clock.ts); session bounds are stored in epoch seconds. */
  clock?: Clock;
}

const lifetimeOf = (idp: IdpConfig): SessionLifetime => idp.session;

/** The scopes whose marks end a session of this token: everyone, its IdP, its subject. */
export const revocationScopesOf = (
  t: Pick<SessionToken, 'idp' | 'subjectRef'>,
): RevocationScope[] => [
  { kind: 'all' },
  { kind: 'idp', idp: t.idp },
  { kind: 'subject', idp: t.idp, subjectRef: t.subjectRef },
];

/**
 * Sessions: a remembered, verified identity per person and client, never a remembered decision.
 * `start` at every successful upstream sign-in; `resume` at every use re-reads the session and its
 * revocation marks (one BatchGetItem), checks its lifetime and idle limit against the IdP's CURRENT
 * settings, and runs the CURRENT rules on the stored identity, so a removed rule, a new deny, a
 * removed IdP or a revocation takes effect at the next use. A malformed item is refused.
 */
export const createSessionService = (deps: SessionServiceDeps) => {
  const nowMs = deps.clock ?? systemClock;

  return {
    /**
     * Starts a session for a verified identity.
     * @param opts.upstreamEndsAt epoch seconds the upstream bounds the session by (SAML
     *   SessionNotOnOrAfter), if any; `clientMaxSeconds` a client's own bound (an SPA's);
     *   `signedInAt` epoch ms the sign-in was verified, when a hand-off completes it later (an
     *   SPA's one-time code, an IdP-initiated confirmation): a revocation since refuses it.
     * @throws session_invalid when the bounds leave no time or the identity's subject reference
     *   is not its subject's; session_revoked when a mark of its scopes is newer than
     *   `signedInAt`; temporarily_unavailable.
     */
    async start(opts: {
      identity: SessionIdentity;
      idp: IdpConfig;
      kind: SessionKind;
      client?: string;
      upstreamEndsAt?: number;
      clientMaxSeconds?: number;
      signedInAt?: number;
    }): Promise<{ tokenValue: string; record: SessionRecord }> {
      const { idp, subject, subjectRef } = opts.identity;
      // The identity may come from a hand-off item (a one-time code, a confirmation, a CLI
      // approval): its reference must be its subject's, or revoking the subject would miss it.
      if (subjectRef !== subjectRefOf(idp, subject)) {
        throw new SessionInvalidError('the identity names a subject its reference is not of');
      }
      const now = nowMs();
      const nowSec = Math.floor(now / 1000);
      const { maxSeconds } = lifetimeOf(opts.idp);
      const endsAt = Math.min(
        nowSec + maxSeconds,
        opts.upstreamEndsAt ?? Number.POSITIVE_INFINITY,
        opts.clientMaxSeconds !== undefined
          ? nowSec + opts.clientMaxSeconds
          : Number.POSITIVE_INFINITY,
      );
      if (!(endsAt > nowSec)) {
        throw new SessionInvalidError('the upstream sign-in has already ended its session');
      }
      const record: SessionRecord = {
        v: 1,
        kind: opts.kind,
        ...(opts.client !== undefined ? { client: opts.client } : {}),
        identity: opts.identity,
        createdAt: now,
        endsAt,
      };
      const token = newSessionToken(opts.identity.idp, opts.identity.subjectRef);
      // A sign-in verified before a revocation and completed after it belongs to the revoked
      // scope: the mark must reach it as it reaches a session started then (one read, as a use).
      if (opts.signedInAt !== undefined) {
        const { revokedBefore } = await deps.store.read(
          sessionIdOf(token),
          revocationScopesOf(token),
        );
        if (opts.signedInAt < revokedBefore) {
          throw new SessionRevokedError('revoked between the sign-in and its completion');
        }
      }
      await deps.store.create(sessionIdOf(token), record, endsAt, now);
      // Best effort: the index only counts sessions for a deprovisioning's audit line; the
      // revocation it accompanies does not depend on it.
      await deps.store
        .indexSession?.(opts.identity.idp, opts.identity.subjectRef, sessionIdOf(token), endsAt)
        .catch((err: unknown) =>
          deps.log.warn('session index not written', { code: (err as { code?: string }).code }),
        );
      deps.log.info('session started', {
        idp: opts.identity.idp,
        subject: opts.identity.subjectRef,
        kind: opts.kind,
        ...(opts.client !== undefined ? { client: opts.client } : {}),
        endsAt,
      });
      return { tokenValue: formatSessionToken(token), record };
    },

    /**
     * Resumes a session for one use and re-derives what it may do now.
     * @param expect the client the session must belong to (a browser cookie is not an SPA's).
     * @throws session_invalid, session_revoked, temporarily_unavailable, server_error (IdP config).
     */
    async resume(
      tokenValue: string | undefined,
      expect: { kind: SessionKind; client?: string },
    ): Promise<LiveSession> {
      const token = parseSessionToken(tokenValue);
      if (!token) throw new SessionInvalidError(tokenValue ? 'malformed token' : 'no session');
      const { session, revokedBefore } = await deps.store.read(
        sessionIdOf(token),
        revocationScopesOf(token),
      );
      if (!session) throw new SessionInvalidError('no live session under this token');
      const parsed = SessionRecordSchema.safeParse(session.record);
      if (!parsed.success) throw new SessionInvalidError('the session item is malformed');
      const record = parsed.data;
      // The token names the scopes read with it: they must be the record's own, and the record's
      // reference must be that of its subject (the one its SourceIdentity carries), so that a
      // revocation of the person always reaches the session.
      if (record.identity.idp !== token.idp || record.identity.subjectRef !== token.subjectRef) {
        throw new SessionInvalidError('the token names another identity than its session');
      }
      if (
        record.identity.subjectRef !== subjectRefOf(record.identity.idp, record.identity.subject)
      ) {
        throw new SessionInvalidError('the session item names a subject its reference is not of');
      }
      if (record.kind !== expect.kind || record.client !== expect.client) {
        throw new SessionInvalidError(`a ${record.kind} session used as a ${expect.kind} session`);
      }
      const now = nowMs();
      const nowSec = Math.floor(now / 1000);
      if (record.createdAt > now + CLOCK_TOLERANCE_MS) {
        throw new SessionInvalidError('the session item is dated ahead of now');
      }
      if (record.createdAt < revokedBefore) {
        throw new SessionRevokedError(`revoked before ${new Date(revokedBefore).toISOString()}`);
      }
      const idp = await deps.loadIdp(record.identity.idp);
      if (!idp || idp.protocol !== record.identity.protocol) {
        throw new SessionInvalidError(`idp ${record.identity.idp} is no longer configured`);
      }
      // The IdP's CURRENT bounds: lowering them shortens live sessions too.
      const { maxSeconds, idleSeconds } = lifetimeOf(idp);
      const endsAt = Math.min(record.endsAt, Math.floor(record.createdAt / 1000) + maxSeconds);
      if (endsAt <= nowSec) throw new SessionInvalidError('the session has ended');
      const lastUsedAt = Number.isFinite(session.lastUsedAt)
        ? session.lastUsedAt
        : record.createdAt;
      if (lastUsedAt > now + CLOCK_TOLERANCE_MS) {
        throw new SessionInvalidError('the session item records a use ahead of now');
      }
      if (now - lastUsedAt > idleSeconds * 1000) {
        throw new SessionInvalidError(`idle for more than ${idleSeconds}s`);
      }
      // The directory is joined at every use: a deprovisioned person, or a changed attribute or
      // membership, takes effect here too (not only at the next sign-in).
      const mapper = await deps.mapperFor(idp);
      const identity = await identityForRules(mapper, idp, identityOf(record.identity));
      const result = mapper.mapGrants(identity);
      return {
        token,
        tokenValue: formatSessionToken(token),
        record,
        idp,
        grants: result.denied ? [] : result.grants,
        recent: session.recent,
        endsAt,
        idleEndsAt: Math.min(endsAt, nowSec + idleSeconds),
        lastUsedAt,
      };
    },

    /**
     * Records a use (the idle timer, and the grant used for "recently used first"). Writes nothing
     * when the last recorded use is recent and the recent list does not change.
     * @throws temporarily_unavailable.
     */
    async touch(live: LiveSession, grantId?: string): Promise<void> {
      const now = nowMs();
      const recent =
        grantId === undefined
          ? [...live.recent]
          : [grantId, ...live.recent.filter((g) => g !== grantId)].slice(0, MAX_RECENT);
      const unchanged =
        recent.length === live.recent.length && recent.every((g, i) => g === live.recent[i]);
      if (unchanged && now - live.lastUsedAt < TOUCH_GRANULARITY_MS) return;
      await deps.store.touch(sessionIdOf(live.token), { lastUsedAt: now, recent });
    },

    /**
     * Records the first use of a session that was just started (the one grant a sign-in opened
     * straight away), so the portal lists it first.
     * @throws temporarily_unavailable.
     */
    async recordFirstUse(tokenValue: string, grantId: string): Promise<void> {
      const token = parseSessionToken(tokenValue);
      if (!token) return;
      await deps.store.touch(sessionIdOf(token), { lastUsedAt: nowMs(), recent: [grantId] });
    },

    /** Ends a session (sign-out); nothing happens for an unknown or malformed token. */
    async end(tokenValue: string | undefined): Promise<void> {
      const token = parseSessionToken(tokenValue);
      if (!token) return;
      await deps.store.delete(sessionIdOf(token));
      deps.log.info('session ended', { idp: token.idp, subject: token.subjectRef });
    },
  };
};

export type SessionService = ReturnType<typeof createSessionService>;
