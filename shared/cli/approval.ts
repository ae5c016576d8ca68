import { createHash } from 'node:crypto';
import { type LiveSession, SessionIdentitySchema, sessionIdOf } from '../session/index.js';
import * as z from '../zod.js';

/**
 * The CLI's machine label (`<user>@<host>` by default): shown on the consent and device pages and
 * in `sessions list`, and the `client` of its session. Not a secret and not a credential.
 */
export const CLIENT_LABEL = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

/** Whether a value is a well-formed CLI machine label. */
export const isClientLabel = (value: unknown): value is string =>
  typeof value === 'string' && CLIENT_LABEL.test(value);

/**
 * What a person's approval in the browser hands to the CLI: the verified identity of their live
 * browser session (never a grant), and which browser session it came from — its table id (a hash,
 * not the secret), when it started (revocation marks are compared with it when the CLI redeems)
 * and when it ends (the CLI session ends no later).
 */
export const ApprovalSchema = z.strictObject({
  identity: SessionIdentitySchema,
  browser: z.strictObject({
    sessionId: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
    /** Epoch milliseconds. */
    createdAt: z.int().check(z.positive()),
    /** Epoch seconds. */
    endsAt: z.int().check(z.positive()),
  }),
});
export type Approval = z.infer<typeof ApprovalSchema>;

/** The approval a live browser session gives. */
export const approvalOf = (live: LiveSession): Approval => ({
  identity: live.record.identity,
  browser: {
    sessionId: sessionIdOf(live.token),
    createdAt: live.record.createdAt,
    endsAt: live.endsAt,
  },
});

/**
 * The state-table id of a bearer value (a code the CLI holds): SHA-256 under a label per kind,
 * base64url. The table never holds the value itself.
 */
export const hashedId = (label: string, value: string): string =>
  createHash('sha256').update(`${label}\n${value}`, 'utf8').digest('base64url');
