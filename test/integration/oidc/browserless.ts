/**
 * Drives an OIDC sign-in without a browser: fetch with `redirect: 'manual'` and a small cookie
 * jar (names only: every cookie goes to every 127.0.0.1 URL, which none of the peers mind).
 */
export const createJar = () => {
  const cookies = new Map<string, string>();
  return {
    cookies,
    store(res: Response) {
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        if (eq > 0) {
          const name = pair.slice(0, eq).trim();
          const value = pair.slice(eq + 1).trim();
          if (value === '' || /max-age=0/i.test(line)) cookies.delete(name);
          else cookies.set(name, value);
        }
      }
    },
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
  };
};

export type Jar = ReturnType<typeof createJar>;

export const step = async (
  jar: Jar,
  url: string | URL,
  init: RequestInit = {},
): Promise<Response> => {
  const res = await fetch(url, {
    ...init,
    redirect: 'manual',
    headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
  });
  jar.store(res);
  return res;
};

const locationOf = (res: Response, base: string | URL): URL => {
  const location = res.headers.get('location');
  if (!location) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(location, base);
};

/**
 * From fedgate's `/oidc/<idp>/login` to the IdP's redirect back (not followed): returns the
 * callback URL with code, state and iss, and the jar holding fedgate's transaction cookie.
 * `signIn` picks the person at the OP (default: the demo OP's login form).
 */
export const signInAtOp = async (
  loginUrl: string | URL,
  user: string,
  jar: Jar = createJar(),
): Promise<{ callback: URL; jar: Jar; authorize: URL }> => {
  const login = await step(jar, loginUrl);
  const authorize = locationOf(login, loginUrl);
  return { ...(await driveOp(authorize, user, jar)), authorize };
};

/** From the OP's authorization URL to its redirect back (not followed), signing in as `user`. */
export const driveOp = async (
  authorize: URL,
  user: string,
  jar: Jar = createJar(),
): Promise<{ callback: URL; jar: Jar }> => {
  let url = authorize;
  for (let i = 0; i < 8; i++) {
    const res = await step(jar, url);
    if (res.status === 200) {
      const html = await res.text();
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
      if (!action) throw new Error('no login form at the OP');
      const post = await step(jar, new URL(action.replaceAll('&amp;', '&'), url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ user }).toString(),
      });
      url = locationOf(post, url);
      continue;
    }
    const next = locationOf(res, url);
    if (next.pathname.endsWith('/callback')) return { callback: next, jar };
    url = next;
  }
  throw new Error('the OP did not send the browser back');
};
