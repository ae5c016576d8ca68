import { randomBytes, randomInt } from 'node:crypto';
import { STATE_KEY_PREFIXES, type StateKey, stateKey } from '../store/index.js';
import * as z from '../zod.js';
import { ApprovalSchema, hashedId, isClientLabel } from './approval.js';

/** RFC 8628 §3.2 `expires_in`: how long a device request waits for the person. */
export const DEVICE_TTL_SECONDS = 600;
/** RFC 8628 §3.2 `interval`: the least time between two polls. */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: what `slow_down` adds to the interval. */
export const SLOW_DOWN_SECONDS = 5;

/**
 * RFC 8628 §6.1's example alphabet: 20 consonants, no vowels (no words spelled by accident) and no
 * look-alikes (0/O, 1/I/L, 5/S are not all there). 8 characters: 20^8 ≈ 2^34.6 codes, guessed
 * only through a rate-limited page within 10 minutes.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
const DEVICE_CODE = /^[A-Za-z0-9_-]{43}$/;

/** A fresh device code (256 bits, the CLI's secret) and user code (what the person types). */
export const newDeviceCodes = (): { deviceCode: string; userCode: string } => ({
  deviceCode: randomBytes(32).toString('base64url'),
  userCode: Array.from(
    { length: USER_CODE_LENGTH },
    () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)],
  ).join(''),
});

/** `BCDFGHJK` → `BCDF-GHJK`, as the terminal and the pages show it. */
export const formatUserCode = (code: string): string => `${code.slice(0, 4)}-${code.slice(4)}`;

/**
 * What a person typed, normalised: case, spaces and dashes do not matter (RFC 8628 §6.1); anything
 * else outside the alphabet, or another length, is not a user code.
 */
export const normaliseUserCode = (input: string | undefined): string | undefined => {
  if (input === undefined || input.length > 32) return undefined;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return undefined;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return undefined;
  return code;
};

/** Whether a value has the shape of a device code. */
export const isDeviceCode = (value: unknown): value is string =>
  typeof value === 'string' && DEVICE_CODE.test(value);

/** The id of a device request in the table: SHA-256 of its device code. */
export const deviceIdOf = (deviceCode: string): string =>
  hashedId('fedgate-cli-device', deviceCode);

/** `DEVICE#<id>`: the request, as the CLI made it (and its polling pace). */
export const deviceKey = (deviceId: string): StateKey =>
  stateKey(STATE_KEY_PREFIXES.device, deviceId);

/**
 * `DEVICE#<id>.decision`: the person's decision, created once (conditional put) apart from the
 * request, so a poll that rewrites the request's pace can never overwrite an approval.
 */
export const decisionKey = (deviceId: string): StateKey =>
  stateKey(STATE_KEY_PREFIXES.device, `${deviceId}.decision`);

/** `USERCODE#<SHA-256 of the user code>`: which request a user code names (single use). */
export const userCodeKey = (userCode: string): StateKey =>
  stateKey(STATE_KEY_PREFIXES.userCode, hashedId('fedgate-cli-user-code', userCode));

/** A device request: what the confirm page shows the person, and the polling pace. */
export const DeviceRequestSchema = z.strictObject({
  v: z.literal(1),
  client: z.string().check(z.refine(isClientLabel)),
  /** Epoch seconds. */
  requestedAt: z.int(),
  /** The source address API Gateway saw (shown to the person: "from 203.0.113.7"). */
  sourceIp: z.string().check(z.maxLength(64)),
  /** The IdP the CLI asked for, if any (a hint for the sign-in page). */
  idp: z.optional(z.string().check(z.maxLength(40))),
  /** Seconds between polls; grows with every `slow_down`. */
  interval: z.int().check(z.positive()),
  /** Epoch seconds of the last poll. */
  lastPollAt: z.optional(z.int()),
});
export type DeviceRequest = z.infer<typeof DeviceRequestSchema>;

/** The person's decision on a device request. */
export const DeviceDecisionSchema = z.union([
  z.strictObject({ v: z.literal(1), approved: z.literal(true), approval: ApprovalSchema }),
  z.strictObject({ v: z.literal(1), approved: z.literal(false) }),
]);
export type DeviceDecision = z.infer<typeof DeviceDecisionSchema>;

/** What a user code points at. */
export const UserCodeItemSchema = z.strictObject({
  v: z.literal(1),
  deviceId: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
});
