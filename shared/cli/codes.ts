import { randomBytes } from 'node:crypto';
import { isPkceVerifier, verifierMatches } from '../spa/index.js';
import { STATE_KEY_PREFIXES, type StateKey, type StateStore, stateKey } from '../store/index.js';
import * as z from '../zod.js';
import { type Approval, ApprovalSchema, hashedId, isClientLabel } from './approval.js';
import { CliGrantInvalidError } from './errors.js';

/** How long the CLI has to bring a loopback authorization code to `POST /cli/token`. */
export const CLI_CODE_TTL_SECONDS = 60;

const CODE = /^[A-Za-z0-9_-]{43}$/;

/** The state-table key of a CLI authorization code: `CLICODE#<SHA-256 of the code>`. */
export const cliCodeKey = (code: string): StateKey =>
  stateKey(STATE_KEY_PREFIXES.cliCode, hashedId('fedgate-cli-code', code));

/** What a CLI authorization code stands for, single use under `CLICODE#…` for 60 s. */
export const CliCodeSchema = z.strictObject({
  v: z.literal(1),
  approval: ApprovalSchema,
  client: z.string().check(z.refine(isClientLabel)),
  /** The exact loopback URI the code was sent to (RFC 6749 §4.1.3: compared at redemption). */
  redirectUri: z.string(),
  /** The CLI's S256 challenge from `GET /cli/authorize`. */
  codeChallenge: z.string(),
});
export type CliCode = z.infer<typeof CliCodeSchema>;

/**
 * Issues a one-time authorization code for the CLI (256 bits, 60 s, single use), bound to the
 * approval, the CLI's PKCE challenge and the loopback redirect URI.
 * @throws temporarily_unavailable.
 */
export const issueCliCode = async (
  state: StateStore,
  data: { approval: Approval; client: string; redirectUri: string; codeChallenge: string },
  now: number,
): Promise<string> => {
  const code = randomBytes(32).toString('base64url');
  const item: CliCode = { v: 1, ...data };
  await state.put(cliCodeKey(code), item, now + CLI_CODE_TTL_SECONDS);
  return code;
};

/**
 * Redeems a code: consumed first (a conditional delete, so of concurrent redemptions one wins,
 * and a code presented with a wrong verifier or redirect URI is gone too: it leaked), then the
 * redirect URI must be the one it was sent to and S256(code_verifier) the challenge.
 * @throws invalid_grant (400) for an unknown, expired, used or mismatched code; invalid_request
 * for a malformed one; temporarily_unavailable.
 */
export const redeemCliCode = async (
  state: StateStore,
  input: { code: string; codeVerifier: string; redirectUri: string },
): Promise<CliCode> => {
  if (!CODE.test(input.code)) throw new CliGrantInvalidError('malformed code');
  if (!isPkceVerifier(input.codeVerifier)) throw new CliGrantInvalidError('malformed verifier');
  const parsed = CliCodeSchema.safeParse(await state.consume(cliCodeKey(input.code)));
  if (!parsed.success) throw new CliGrantInvalidError('code unknown, expired or used');
  if (parsed.data.redirectUri !== input.redirectUri) {
    throw new CliGrantInvalidError('redirect_uri differs from the authorization request');
  }
  if (!verifierMatches(input.codeVerifier, parsed.data.codeChallenge)) {
    throw new CliGrantInvalidError('S256(code_verifier) differs from the challenge');
  }
  return parsed.data;
};
