import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { clearCookie, readCookie } from '../http/cookies.js';
import { GatewayError } from '../http/errors.js';
import type { HttpResponse } from '../http/responses.js';
import { SESSION_COOKIE } from '../session/index.js';

const ENDED = new Set(['session_invalid', 'session_revoked']);

/**
 * `GET /`: the access portal for a person with a live session, the sign-in page for anyone else.
 * A session cookie that no longer works (ended, revoked, malformed) is cleared, and the sign-in
 * page says why, so Back or a bookmark after sign-out lands somewhere useful.
 */
export const createHome =
  (deps: {
    portal: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
    signIn: (event: APIGatewayProxyEventV2, notice?: string) => Promise<HttpResponse>;
  }) =>
  async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => {
    if (readCookie(event.cookies, SESSION_COOKIE) === undefined) return deps.signIn(event);
    try {
      return await deps.portal(event);
    } catch (err) {
      if (!(err instanceof GatewayError) || !ENDED.has(err.code)) throw err;
      const res = await deps.signIn(event, err.description);
      res.cookies = [...(res.cookies ?? []), clearCookie(SESSION_COOKIE, 'Lax')];
      return res;
    }
  };
