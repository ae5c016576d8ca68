import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Failures the stand-ins produce on demand, so tests (and demos) can see fedgate's 503 path:
 * - `throttle` (STS only): 400 `Throttling` "Rate exceeded", which the SDK retries, then gives up;
 * - `down`: 503 (STS: `ServiceUnavailable` XML; federation: an empty 503);
 * - `reset`: the connection is destroyed without an answer (ECONNRESET at the client);
 * - `slow`: the answer is held back `slowMs` (default 10 s) first, to trip client timeouts;
 * - `malformed` (federation only): 200 with a body that is not JSON.
 */
export type StsFaultMode = 'throttle' | 'down' | 'reset' | 'slow';
export type FederationFaultMode = 'down' | 'reset' | 'slow' | 'malformed';

export interface AwsStandInFaults {
  sts?: StsFaultMode;
  federation?: FederationFaultMode;
  /** Delay for `slow` (default 10,000 ms). */
  slowMs?: number;
}

const STS_MODES = new Set<string>(['throttle', 'down', 'reset', 'slow']);
const FEDERATION_MODES = new Set<string>(['down', 'reset', 'slow', 'malformed']);

/** Parses a fault setting from the control endpoint's JSON body; `undefined` when invalid. */
export const parseFaults = (value: unknown): AwsStandInFaults | undefined => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const out: AwsStandInFaults = {};
  if (v.sts !== undefined && v.sts !== null) {
    if (typeof v.sts !== 'string' || !STS_MODES.has(v.sts)) return undefined;
    out.sts = v.sts as StsFaultMode;
  }
  if (v.federation !== undefined && v.federation !== null) {
    if (typeof v.federation !== 'string' || !FEDERATION_MODES.has(v.federation)) return undefined;
    out.federation = v.federation as FederationFaultMode;
  }
  if (v.slowMs !== undefined && v.slowMs !== null) {
    if (typeof v.slowMs !== 'number' || !Number.isInteger(v.slowMs) || v.slowMs < 0) {
      return undefined;
    }
    out.slowMs = Math.min(v.slowMs, 120_000);
  }
  for (const key of Object.keys(v))
    if (!['sts', 'federation', 'slowMs'].includes(key)) return undefined;
  return out;
};

/** Destroys the connection without an answer. */
export const resetConnection = (req: IncomingMessage, res: ServerResponse): void => {
  res.socket?.destroy();
  req.socket.destroy();
};

/** Waits `ms`, or less if the client goes away first. */
export const holdBack = (res: ServerResponse, ms: number): Promise<void> =>
  new Promise((done) => {
    const timer = setTimeout(done, ms);
    res.once('close', () => {
      clearTimeout(timer);
      done();
    });
  });
