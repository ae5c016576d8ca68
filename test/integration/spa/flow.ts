import { createHash, randomBytes } from 'node:crypto';
import { createJar, type Jar, signInAtOp, step } from '../oidc/browserless.js';

/** The demo SPA client of infra/local/demo-config.yaml. */
export const CLIENT_ID = 'demo-spa';
export const RETURN_PATH = '/_local/spa/';

/** A fresh PKCE pair as the SPA makes it (RFC 7636: 43-character verifier, S256 challenge). */
export const newPkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** A fresh `state` as the SPA makes it. */
export const newState = () => randomBytes(32).toString('base64url');

/** fedgate's login URL as the SPA builds it. */
export const spaLoginUrl = (
  runner: URL,
  opts: {
    challenge: string;
    state?: string;
    returnTo?: string;
    clientId?: string;
    method?: string;
  },
) => {
  const url = new URL('/oidc/demo-oidc/login', runner);
  url.search = new URLSearchParams({
    client_id: opts.clientId ?? CLIENT_ID,
    return_to: opts.returnTo ?? new URL(RETURN_PATH, runner).href,
    code_challenge: opts.challenge,
    code_challenge_method: opts.method ?? 'S256',
    ...(opts.state === '' ? {} : { state: opts.state ?? newState() }),
  }).toString();
  return url;
};

/**
 * An SPA sign-in up to the redirect back to the SPA: login with the SPA's challenge and state,
 * the demo OP as `user`, fedgate's callback. Returns the one-time code, the PKCE verifier, the
 * SPA's state and the jar (holding the login-binding cookie of this "browser").
 */
export const spaSignIn = async (runner: URL, user: string, jar?: Jar) => {
  const pkce = newPkce();
  const state = newState();
  const signedIn = await signInAtOp(spaLoginUrl(runner, { ...pkce, state }), user, jar);
  const back = await step(signedIn.jar, signedIn.callback);
  const location = back.headers.get('location');
  if (back.status !== 302 || !location) throw new Error(`callback answered ${back.status}`);
  const returned = new URL(location);
  const code = returned.searchParams.get('code');
  if (!code) throw new Error(`no code in the redirect back: ${returned.search}`);
  return { code, verifier: pkce.verifier, state, jar: signedIn.jar, returned };
};

/** The `/redeem` body for a sign-in. */
export const redeemBody = (s: { code: string; verifier: string }, grant?: string) => ({
  code: s.code,
  code_verifier: s.verifier,
  ...(grant ? { grant } : {}),
});

/** A call to one of the SPA routes as the SPA's fetch makes it (Origin, JSON, cookies). */
export const spaPost = (
  jar: Jar,
  runner: URL,
  path: '/redeem' | '/credentials' | '/grants' | '/logout',
  body: unknown,
  opts: { origin?: string; clientId?: string } = {},
) =>
  step(jar, new URL(`${path}?client_id=${opts.clientId ?? CLIENT_ID}`, runner), {
    method: 'POST',
    headers: { origin: opts.origin ?? runner.origin, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

export { createJar, type Jar };
