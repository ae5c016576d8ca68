import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { CliError, EXIT } from './errors.js';
import type { StatePaths } from './paths.js';

/** Credentials as `credential_process` prints them (Version 1), and what they were for. */
export interface CachedCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  /** ISO 8601. */
  Expiration: string;
  /** Epoch ms when fedgate issued them (the lifetime decides how early to refresh). */
  fetchedAt: number;
  roleArn: string;
  /**
   * Epoch ms on fedgate's clock: a renewal failed for fedgate's trouble (unreachable, 5xx,
   * throttled) and these still-valid credentials are served without asking again until then.
   */
  retryAt?: number;
}

/** The CLI's session at one gateway. */
export interface StoredSession {
  /** The bearer token (`<idp>.<ref>.<secret>`): a credential, kept only in this 0600 file. */
  token: string;
  /** ISO 8601: the session's absolute end. */
  endsAt: string;
  idp: string;
  idpDisplayName: string;
  displayName?: string;
}

/** Everything the CLI keeps, in one per-user file. */
export interface CliState {
  version: 1;
  /** The gateway's base URL. */
  gateway?: string;
  /** This machine's label, the `client` of its session. */
  client?: string;
  session?: StoredSession;
  /** fedgate's clock minus this computer's, in ms, from the last answer's `Date`. */
  clockOffsetMs?: number;
  /** Cached credentials by the role as asked (`--role`). */
  credentials?: Record<string, CachedCredentials>;
  /**
   * The last renewal per role that failed for fedgate's trouble (exit 5) with nothing valid
   * cached: processes that were already waiting for the lock take it instead of trying again.
   */
  refreshFailures?: Record<string, RefreshFailure>;
}

/** A renewal that failed for fedgate's trouble: when (this computer's epoch ms), and the error. */
export interface RefreshFailure {
  at: number;
  code: string;
  message: string;
  next?: string;
}

const EMPTY: CliState = { version: 1 };

/**
 * A name part unique enough for temporary and lock files (not a secret: node:crypto stays out of
 * the `credentials` fast path, which loads nothing it does not use).
 */
const unique = (): string =>
  `${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 10)}`;

/**
 * Reads the state file; a missing file is an empty state. A file that does not parse is treated
 * as empty too (it holds nothing that cannot be had again by signing in), never as an error that
 * would stop `credential_process` for good.
 */
export const readState = (paths: StatePaths): CliState => {
  let text: string;
  try {
    text = readFileSync(paths.state, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...EMPTY };
    throw new CliError(
      'state_unreadable',
      `Cannot read ${paths.state}: ${(err as Error).message}`,
      {
        next: 'Check the permissions of that file (it should be yours, mode 0600).',
      },
    );
  }
  try {
    const parsed = JSON.parse(text) as CliState;
    return parsed && typeof parsed === 'object' && parsed.version === 1 ? parsed : { ...EMPTY };
  } catch {
    return { ...EMPTY };
  }
};

/**
 * Writes the state atomically: a temporary file created 0600 beside it, flushed to disk, then
 * renamed over the old one, so a reader (another `credential_process` call) sees the old file or
 * the new one, never half of one. The directory is created 0700.
 */
export const writeState = (paths: StatePaths, state: CliState): void => {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const tmp = `${paths.state}.${unique()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // umask can only narrow the mode given at creation; chmod pins it on filesystems that ignore it.
    chmodSync(tmp, 0o600);
    renameSync(tmp, paths.state);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
};

/** What a lock file holds: who took it, when (to tell a live holder from a crashed one). */
interface LockInfo {
  pid: number;
  host: string;
  at: number;
  token: string;
}

export interface LockOptions {
  /** This host's name (a pid is only checked on the host that wrote it). */
  hostname: string;
  /** A lock older than this is stale whoever holds it (a hung or remote holder). */
  staleMs?: number;
  /** How long to wait for a live holder before giving up. */
  timeoutMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Whether a process of this host is alive (`kill(pid, 0)`). */
  isAlive?: (pid: number) => boolean;
}

const defaultIsAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const readLock = (path: string): { raw: string; info: LockInfo | undefined } | undefined => {
  try {
    const raw = readFileSync(path, 'utf8');
    try {
      const info = JSON.parse(raw) as LockInfo;
      return { raw, info: typeof info?.pid === 'number' ? info : undefined };
    } catch {
      return { raw, info: undefined };
    }
  } catch {
    return undefined; // released meanwhile
  }
};

/**
 * Creates the lock file with its content in one step: written to a temporary file first, then
 * hard-linked to the lock's name (which fails if it exists), so no other process ever reads a
 * lock that is still empty. Where the filesystem has no hard links, O_EXCL create then write.
 * @returns false when the lock exists.
 */
const tryCreateLock = (lock: string, content: string): boolean => {
  const tmp = `${lock}.${unique()}.new`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, lock);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV') throw err;
    try {
      const lfd = openSync(lock, 'wx', 0o600);
      try {
        writeSync(lfd, content);
      } finally {
        closeSync(lfd);
      }
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {}
  }
};

/** How old a file is (ms), by its modification time; 0 when it is gone. */
const ageOf = (path: string, nowMs: number): number => {
  try {
    return nowMs - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
};

/**
 * Runs `fn` holding the state's lock file (created whole and exclusively, so one process at a time), so
 * that several terminals or tools refreshing at once refresh once: the others wait, then find the
 * state already refreshed. A lock whose holder is gone (its pid is dead on this host, or it is
 * older than `staleMs`) is taken over: moved aside atomically (one process wins), and put back if
 * what was moved was a fresh lock after all.
 * @throws CliError lock_timeout when a live holder keeps it longer than `timeoutMs`.
 */
export const withStateLock = async <T>(
  paths: StatePaths,
  opts: LockOptions,
  fn: () => Promise<T>,
): Promise<T> => {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms) => new Promise<void>((done) => setTimeout(done, ms)));
  const isAlive = opts.isAlive ?? defaultIsAlive;
  const staleMs = opts.staleMs ?? 60_000;
  const deadline = now() + (opts.timeoutMs ?? 60_000);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const mine: LockInfo = {
    pid: process.pid,
    host: opts.hostname,
    at: now(),
    token: unique(),
  };
  const mineRaw = JSON.stringify(mine);

  for (;;) {
    if (tryCreateLock(paths.lock, mineRaw)) break;
    const held = readLock(paths.lock);
    if (held === undefined) continue;
    const { info } = held;
    const stale =
      info === undefined
        ? // Not ours to judge by content (a fedgate writes it whole): only its age counts.
          ageOf(paths.lock, now()) > staleMs
        : now() - info.at > staleMs || (info.host === opts.hostname && !isAlive(info.pid));
    if (stale) {
      const aside = `${paths.lock}.${unique()}.stale`;
      try {
        renameSync(paths.lock, aside);
      } catch {
        continue; // someone else moved it first
      }
      const moved = readLock(aside);
      if (moved && moved.raw !== held.raw) {
        // Between our look and the move, the stale lock was replaced by a live one: put it back
        // (link fails if yet another lock exists, which then stands).
        try {
          linkSync(aside, paths.lock);
        } catch {}
      }
      try {
        unlinkSync(aside);
      } catch {}
      continue;
    }
    if (now() > deadline) {
      throw new CliError(
        'lock_timeout',
        `Another fedgate process (pid ${info?.pid ?? '?'}) has held ${paths.lock} for too long.`,
        { next: 'If no fedgate command is running, delete that file.', exitCode: EXIT.failed },
      );
    }
    await sleep(20 + Math.floor(Math.random() * 40));
  }

  try {
    return await fn();
  } finally {
    // Only our own lock is removed: if it was taken over as stale, it is someone else's now.
    if (readLock(paths.lock)?.raw === mineRaw) {
      try {
        unlinkSync(paths.lock);
      } catch {}
    }
  }
};
