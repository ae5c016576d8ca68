/**
 * The browser side of fedgate's sign-in tail, driven with fetch (no browser): the confirmation of
 * an IdP-initiated sign-in (`saml.idpInitiated: confirm`, shared/signin/confirm.ts) and the access
 * portal's forms (shared/portal). Everything is read from the pages and cookies as a browser
 * would get them; nothing is built from fedgate's internals. Responses are raw (`redirect:
 * 'manual'`) so that tests can assert on status, headers and cookies.
 */

/** The Strict cookie that holds an IdP-initiated sign-in until the person confirms it. */
export const CONFIRM_COOKIE = '__Host-fedgate-confirm';
/** The browser session (portal) cookie. */
export const SESSION_COOKIE = '__Host-fedgate-session';

/** What a cookie jar needs to offer (test/integration/oidc/browserless.ts's `createJar`). */
export interface CookieJar {
  header(): string;
  store(res: Response): void;
}

/** `name=value` of the cookie a response set under `name` (undefined when absent or cleared). */
export const setCookiePair = (res: Response, name: string): string | undefined => {
  const pair = res.headers
    .getSetCookie()
    .map((line) => line.split(';', 1)[0] as string)
    .find((p) => p.startsWith(`${name}=`));
  return pair === undefined || pair === `${name}=` ? undefined : pair;
};

/** Whether a response is a confirmation page: 200 and the confirmation cookie set. */
export const isConfirmation = (res: Response): boolean =>
  res.status === 200 && setCookiePair(res, CONFIRM_COOKIE) !== undefined;

/** A confirmation page as the browser holds it: its cookie, its form's CSRF token and action. */
export interface Confirmation {
  /** `__Host-fedgate-confirm=…`, as a `Cookie` header value. */
  cookie: string;
  csrf: string;
  /** The form's action (an absolute URL from the public base URL). */
  action: URL;
  html: string;
}

const attr = (html: string, re: RegExp): string | undefined =>
  re.exec(html)?.[1]?.replaceAll('&amp;', '&');

/** Reads a confirmation page (consumes the body); throws when the response is not one. */
export const readConfirmation = async (res: Response): Promise<Confirmation> => {
  const html = await res.text();
  const cookie = setCookiePair(res, CONFIRM_COOKIE);
  const csrf = attr(html, /name="csrf" value="([^"]+)"/);
  const action = attr(html, /<form method="post" action="([^"]+)"/);
  if (res.status !== 200 || !cookie || !csrf || !action) {
    throw new Error(`not a sign-in confirmation page (${res.status}): ${html.slice(0, 300)}`);
  }
  return { cookie, csrf, action: new URL(action), html };
};

/**
 * Posts a confirmation's Continue (its CSRF token, with its cookie) to a runner's
 * `/signin/confirm`. `runner` may be another runner than the one that showed the page (two
 * containers behind one URL); the page's own action must be that route.
 */
export const postConfirmation = (
  runner: URL,
  confirmation: Pick<Confirmation, 'cookie' | 'csrf' | 'action'>,
  headers: Record<string, string> = {},
): Promise<Response> => {
  if (confirmation.action.pathname !== '/signin/confirm') {
    throw new Error(`the confirmation posts to ${confirmation.action.pathname}`);
  }
  return fetch(new URL('/signin/confirm', runner), {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: confirmation.cookie,
      ...headers,
    },
    body: new URLSearchParams({ csrf: confirmation.csrf }).toString(),
  });
};

/**
 * Completes an IdP-initiated sign-in that the IdP's `confirm` policy held: reads the confirmation
 * page's cookie and CSRF token and posts them as the person's Continue would. With a `jar`, its
 * cookies are sent (it already holds the confirmation cookie) and the answer's are stored in it.
 * Returns fedgate's answer: the console (302), the portal (303 to `/`) or a refusal.
 */
export const completeConfirmation = async (
  runner: URL,
  confirmationPage: Response,
  opts: { jar?: CookieJar } = {},
): Promise<Response> => {
  const confirmation = await readConfirmation(confirmationPage);
  const res = await postConfirmation(
    runner,
    opts.jar ? { ...confirmation, cookie: opts.jar.header() } : confirmation,
  );
  opts.jar?.store(res);
  return res;
};

/** One role on a portal page, as its row shows it. */
export interface PortalRow {
  /** The opaque grant id the row's form posts. */
  grant: string;
  label: string;
  /** The role name (the last part of the role ARN). */
  roleName: string;
}

/** A portal page as the browser holds it: its forms' CSRF token, its rows and its forms. */
export interface Portal {
  csrf: string;
  rows: PortalRow[];
  /** Every `<form method="post">` with its action and hidden fields. */
  forms: { action: string; fields: Record<string, string> }[];
  html: string;
  /** The grant id of the row for a role name; throws when the portal does not list it. */
  grantFor(roleName: string): string;
}

/** Reads an access portal page (HTML); throws when it is not one. */
export const readPortal = (html: string): Portal => {
  if (!html.includes('<h1>AWS access</h1>')) {
    throw new Error(`not the access portal: ${html.slice(0, 300)}`);
  }
  const forms = [...html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)].map(
    (m) => ({
      action: (m[1] as string).replaceAll('&amp;', '&'),
      fields: Object.fromEntries(
        [...(m[2] as string).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
          (f) => [f[1] as string, (f[2] as string).replaceAll('&amp;', '&')],
        ),
      ),
    }),
  );
  const rows = new Map<string, PortalRow>();
  for (const m of html.matchAll(
    /name="grant" value="([^"]+)">\s*<div class="role-name"><strong>([^<]+)<\/strong><span class="muted">([^ <]+)/g,
  )) {
    rows.set(m[1] as string, {
      grant: m[1] as string,
      label: m[2] as string,
      roleName: m[3] as string,
    });
  }
  const csrf = forms[0]?.fields.csrf;
  if (!csrf) throw new Error('the portal has no form with a CSRF token');
  return {
    csrf,
    rows: [...rows.values()],
    forms,
    html,
    grantFor(roleName) {
      const row = [...rows.values()].find((r) => r.roleName === roleName);
      if (!row) throw new Error(`the portal lists no ${roleName}`);
      return row.grant;
    },
  };
};

/** `GET /` with a session cookie: the portal page (or the sign-in page once the session ended). */
export const getPortal = (runner: URL, cookie: string, headers: Record<string, string> = {}) =>
  fetch(new URL('/', runner), { redirect: 'manual', headers: { cookie, ...headers } });

/** The fields of one portal row's form, as its Console or Access keys button submits them. */
export interface PortalChoice {
  csrf: string;
  grant: string;
  target: 'console' | 'keys';
  region?: string;
  destination?: string;
}

/** `POST /portal/open` with a session cookie (`origin` as a same-origin browser sends it). */
export const postPortalOpen = (
  runner: URL,
  cookie: string,
  choice: PortalChoice,
  headers: Record<string, string> = {},
) =>
  fetch(new URL('/portal/open', runner), {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie,
      origin: runner.origin,
      ...headers,
    },
    body: new URLSearchParams(
      Object.entries(choice).filter((e): e is [string, string] => e[1] !== undefined),
    ).toString(),
  });

/** Follows the portal's 303 to `GET /portal/keys?…` with the session cookie. */
export const getKeys = (runner: URL, cookie: string, opened: Response) => {
  const location = opened.headers.get('location');
  if (opened.status !== 303 || !location) {
    throw new Error(`the portal did not send the browser to its keys page (${opened.status})`);
  }
  const keysUrl = new URL(location);
  if (keysUrl.pathname !== '/portal/keys') throw new Error(`303 to ${keysUrl.pathname}`);
  return fetch(new URL(keysUrl.pathname + keysUrl.search, runner), {
    redirect: 'manual',
    headers: { cookie },
  });
};
