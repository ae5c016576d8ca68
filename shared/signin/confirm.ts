import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Clock, epochSeconds, systemClock } from '../clock.js';
import type { IdpConfig } from '../config/index.js';
import { clearCookie, readCookie, serializeCookie } from '../http/cookies.js';
import { GatewayError } from '../http/errors.js';
import { defineFlow } from '../http/flow.js';
import { parseForm, requireMethod } from '../http/request.js';
import type { HttpResponse } from '../http/responses.js';
import { publicUrl } from '../http/urls.js';
import type { Log } from '../log.js';
import { signInConfirmPage } from '../portal/index.js';
import { SessionIdentitySchema } from '../session/index.js';
import { STATE_KEY_PREFIXES, type StateStore, stateKey } from '../store/index.js';
import * as z from '../zod.js';
import { loadSignedInIdp, type SignInCompletion } from './complete.js';

/** How long a person has to confirm an IdP-initiated sign-in. */
export const CONFIRM_TTL_SECONDS = 300;
/** `__Host-fedgate-confirm`: SameSite=Strict, sent only with fedgate's own confirmation form. */
const CONFIRM_COOKIE = 'confirm';
const FORM_MAX_BYTES = 2048;

/** The confirmation is missing, expired, used, or the form is not fedgate's own (CSRF). */
export class SignInConfirmationInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      403,
      'signin_confirmation_invalid',
      'This sign-in was not confirmed in time, or not from this browser. Please sign in again.',
      { ...opts, detail },
    );
  }
}

const PendingSchema = z.strictObject({
  v: z.literal(2),
  identity: SessionIdentitySchema,
  destination: z.optional(z.string()),
  upstreamEndsAt: z.optional(z.int()),
  /** Epoch ms the sign-in was verified: a revocation before Continue refuses it. */
  verifiedAt: z.int().check(z.positive()),
});

const digest = (label: string, token: string) =>
  createHash('sha256').update(`${label}\n${token}`).digest('base64url');
const keyOf = (token: string) => stateKey(STATE_KEY_PREFIXES.confirm, digest('confirm', token));
const csrfOf = (token: string) => digest('confirm-csrf', token);

export interface SignInConfirmationDeps {
  state: StateStore;
  loadIdp: (id: string) => Promise<IdpConfig | undefined>;
  complete: SignInCompletion;
  parseDestination: (raw: string | undefined) => URL;
  publicBaseUrl: URL;
  log: Log;
  /** The clock (shared/clock.ts); default the system's. */
  clock?: Clock;
}

/**
 * Login-CSRF defence for IdP-initiated sign-in: any site can post an unsolicited SAML response
 * (its own, validly signed) to fedgate's ACS, signing the visitor in as the attacker. With the
 * IdP's `idpInitiated: confirm` (the default) the verified identity waits, single-use, under a
 * hash of a random token held in a SameSite=Strict cookie, and the person confirms on fedgate's
 * own page who they are signing in as. The form carries a CSRF token derived from the cookie's
 * token, so neither a cross-site post (no Strict cookie) nor a forged form (no token) completes it.
 */
export const createSignInConfirmation = (deps: SignInConfirmationDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => epochSeconds(clock);
  const action = publicUrl(deps.publicBaseUrl, '/signin/confirm');
  const cancel = publicUrl(deps.publicBaseUrl, '/');

  const confirmFlow = defineFlow<{ event: APIGatewayProxyEventV2 }, HttpResponse>(
    'signin-confirm',
    deps.log,
  )
    .step('requirePost', ({ event }) => requireMethod(event, 'POST'))
    .step('parseConfirmForm', ({ event }) => ({ form: parseForm(event, FORM_MAX_BYTES) }))
    .step('readConfirmCookie', ({ event }) => {
      const token = readCookie(event.cookies, CONFIRM_COOKIE);
      if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
        throw new SignInConfirmationInvalidError('no confirmation cookie');
      }
      return { token };
    })
    .step('checkCsrf', ({ form, token }) => {
      const posted = Buffer.from(form.get('csrf') ?? '');
      const expected = Buffer.from(csrfOf(token));
      if (posted.length !== expected.length || !timingSafeEqual(posted, expected)) {
        throw new SignInConfirmationInvalidError('csrf token does not match the confirmation');
      }
    })
    .step('consumeConfirmation', async ({ token }) => {
      const parsed = PendingSchema.safeParse(await deps.state.consume(keyOf(token)));
      if (!parsed.success) {
        throw new SignInConfirmationInvalidError('confirmation unknown, used or expired');
      }
      return { pending: parsed.data };
    })
    .step('loadSignedInIdp', async ({ pending }) => {
      const idp = await loadSignedInIdp(
        deps.loadIdp,
        pending.identity,
        () => new SignInConfirmationInvalidError('the identity provider is no longer configured'),
      );
      deps.log.appendKeys({ flow: idp.protocol, idp: idp.id });
      return { idp };
    })
    .end('completeSignIn', ({ pending, idp }) =>
      deps.complete.browser({
        identity: pending.identity,
        idp,
        destination:
          pending.destination !== undefined
            ? deps.parseDestination(pending.destination)
            : undefined,
        ...(pending.upstreamEndsAt !== undefined ? { upstreamEndsAt: pending.upstreamEndsAt } : {}),
        signedInAt: pending.verifiedAt,
        cookies: [clearCookie(CONFIRM_COOKIE, 'Strict')],
      }),
    );

  return {
    /** Holds a verified IdP-initiated sign-in and asks the person to confirm it. */
    async hold(opts: {
      identity: z.infer<typeof SessionIdentitySchema>;
      idp: IdpConfig;
      destination: URL | undefined;
      upstreamEndsAt?: number;
      requestId: string;
      cookies?: readonly string[];
    }): Promise<HttpResponse> {
      const token = randomBytes(32).toString('base64url');
      await deps.state.put(
        keyOf(token),
        {
          v: 2,
          identity: opts.identity,
          ...(opts.destination ? { destination: opts.destination.href } : {}),
          ...(opts.upstreamEndsAt !== undefined ? { upstreamEndsAt: opts.upstreamEndsAt } : {}),
          verifiedAt: clock(),
        },
        now() + CONFIRM_TTL_SECONDS,
      );
      const res = signInConfirmPage({
        person: {
          ...(opts.identity.displayName !== undefined
            ? { displayName: opts.identity.displayName }
            : {}),
        },
        idpDisplayName: opts.idp.displayName,
        csrf: csrfOf(token),
        action,
        cancel,
        requestId: opts.requestId,
      });
      res.cookies = [
        ...(opts.cookies ?? []),
        serializeCookie(CONFIRM_COOKIE, token, {
          maxAgeSeconds: CONFIRM_TTL_SECONDS,
          sameSite: 'Strict',
        }),
      ];
      return res;
    },

    /**
     * `POST /signin/confirm`: the person confirmed; completes the sign-in (session, console or
     * portal).
     * @throws signin_confirmation_invalid (403), invalid_request, and the completion's codes.
     */
    confirm: (event: APIGatewayProxyEventV2): Promise<HttpResponse> => confirmFlow.run({ event }),
  };
};

export type SignInConfirmation = ReturnType<typeof createSignInConfirmation>;
