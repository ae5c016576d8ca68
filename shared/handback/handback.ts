import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { clearCookie, readCookie, serializeCookie } from '../http/cookies.js';
import { InvalidRequestError } from '../http/errors.js';
import { parseForm, requireMethod } from '../http/request.js';
import { type HttpResponse, redirect } from '../http/responses.js';
import { publicUrl } from '../http/urls.js';
import type { Log, Meter } from '../log.js';
import type { Grant } from '../mapping/index.js';
import { STATE_KEY_PREFIXES, type StateStore, stateKey } from '../store/index.js';
import * as z from '../zod.js';
import { NoRoleMatchedError, TicketInvalidError } from './errors.js';
import { accessKeysPage, rolePickerPage } from './pages.js';
import type { AwsSession, HandbackTarget, RoleAssumption, SignedInPerson } from './types.js';

/** The picker cookie: only ever sent back by same-site requests (the picker's own form posts). */
const TICKET_COOKIE = 'ticket';
const FORM_MAX_BYTES = 4096;

const TicketSchema = z.object({
  v: z.literal(1),
  person: z.object({
    idp: z.string(),
    protocol: z.enum(['saml', 'oidc']),
    subjectRef: z.string(),
    displayName: z.optional(z.string()),
  }),
  grants: z.array(
    z.custom<Grant>(
      (g) => typeof g === 'object' && g !== null && typeof (g as Grant).id === 'string',
    ),
  ),
  destination: z.string(),
  csrf: z.string(),
});

export interface HandbackDeps {
  state: StateStore;
  /** Per protocol: mint (SAML assertion / web identity token) and call STS. */
  assume: Readonly<Record<SignedInPerson['protocol'], RoleAssumption>>;
  /** getSigninToken + login URL through the federation endpoint. */
  consoleUrl: (session: AwsSession, destination: URL, durationSeconds: number) => Promise<URL>;
  publicBaseUrl: URL;
  region: string;
  log: Log;
  /** Counts completed sign-ins (`SignIns` by protocol and target); none when absent. */
  meter?: Meter;
  /** Epoch seconds. */
  now?: () => number;
  ticketTtlSeconds?: number;
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The hand-back shared by SAML and OIDC: from the grants computed at validation time to the AWS
 * console (302 through the federation endpoint) or the access keys view. One grant goes straight
 * on; several get the role picker, whose choice is an opaque, single-use, server-side ticket
 * (the role can only be one of the grants stored in it: a posted grant id is looked up there,
 * never trusted as a role).
 */
export const createHandback = (deps: HandbackDeps) => {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const ttl = deps.ticketTtlSeconds ?? 300;
  const selectUrl = publicUrl(deps.publicBaseUrl, '/select-role');

  const handOver = async (
    grant: Grant,
    person: SignedInPerson,
    target: HandbackTarget,
    destination: URL,
    requestId: string,
    cookies: string[],
  ): Promise<HttpResponse> => {
    const session = await deps.assume[person.protocol](grant, person);
    let response: HttpResponse;
    if (target === 'keys') {
      response = accessKeysPage({ session, grant, person, region: deps.region, requestId });
      if (cookies.length) response.cookies = cookies;
    } else {
      response = redirect(await deps.consoleUrl(session, destination, grant.durationSeconds), {
        cookies,
      });
    }
    // One outcome line per sign-in, written only once everything succeeded; no secrets, the
    // subject as an opaque hash.
    deps.log.info('federation completed', {
      idp: person.idp,
      protocol: person.protocol,
      subject: person.subjectRef,
      ruleId: grant.ruleId,
      roleArn: grant.roleArn,
      tagKeys: grant.tags.map((t) => t.key),
      durationSeconds: grant.durationSeconds,
      target,
    });
    deps.meter?.count('SignIns', { protocol: person.protocol, target });
    return response;
  };

  return {
    /**
     * After a verified sign-in and mapping: straight to the console for one grant, the role
     * picker for several.
     * @throws no_role_matched (403) when there is no grant.
     */
    async complete(opts: {
      person: SignedInPerson;
      grants: readonly Grant[];
      destination: URL;
      requestId: string;
    }): Promise<HttpResponse> {
      const { person, grants, destination, requestId } = opts;
      if (grants.length === 0) throw new NoRoleMatchedError(`idp ${person.idp}: no grant`);
      if (grants.length === 1) {
        return handOver(grants[0] as Grant, person, 'console', destination, requestId, []);
      }
      const ticket = randomBytes(24).toString('base64url');
      const csrf = randomBytes(24).toString('base64url');
      await deps.state.put(
        stateKey(STATE_KEY_PREFIXES.ticket, ticket),
        { v: 1, person, grants, destination: destination.href, csrf },
        now() + ttl,
      );
      const res = rolePickerPage({ person, grants, csrf, action: selectUrl, requestId });
      res.cookies = [
        serializeCookie(TICKET_COOKIE, ticket, { maxAgeSeconds: ttl, sameSite: 'Strict' }),
      ];
      return res;
    },

    /**
     * `POST /select-role`: consumes the ticket named by the cookie (single use), checks the CSRF
     * token against it, and hands over the chosen grant.
     * @throws ticket_invalid (403) for a missing/used/expired ticket, a wrong CSRF token or a grant
     *   id that is not in the ticket; invalid_request (400) for a malformed form.
     */
    async select(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const form = parseForm(event, FORM_MAX_BYTES);
      const csrf = form.get('csrf');
      const grantId = form.get('grant');
      const target = form.get('target');
      if (!csrf || !grantId || (target !== 'console' && target !== 'keys')) {
        throw new InvalidRequestError('role choice form incomplete');
      }
      const ticketId = readCookie(event.cookies, TICKET_COOKIE);
      if (!ticketId) throw new TicketInvalidError('no ticket cookie');
      const key = stateKey(STATE_KEY_PREFIXES.ticket, ticketId);
      // Check the CSRF token before consuming, so a forged post cannot burn a real person's ticket.
      const peek = TicketSchema.safeParse(await deps.state.get(key));
      if (!peek.success) throw new TicketInvalidError('ticket unknown, used or expired');
      if (!sameSecret(peek.data.csrf, csrf))
        throw new TicketInvalidError('csrf token does not match the ticket');
      const parsed = TicketSchema.safeParse(await deps.state.consume(key));
      if (!parsed.success) throw new TicketInvalidError('ticket consumed concurrently');
      const ticket = parsed.data;
      const grant = ticket.grants.find((g) => g.id === grantId);
      if (!grant) throw new TicketInvalidError('grant id not in the ticket');
      return handOver(
        grant,
        ticket.person,
        target,
        new URL(ticket.destination),
        event.requestContext.requestId,
        [clearCookie(TICKET_COOKIE, 'Strict')],
      );
    },
  };
};

export type Handback = ReturnType<typeof createHandback>;
