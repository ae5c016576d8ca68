import { fetchDemoSamlResponse } from '../../../infra/local/demo/saml-idps.js';
import { createJar, type Jar, signInAtOp, step } from '../oidc/browserless.js';

/**
 * The sign-in flows of the local runner driven with fetch (no browser), for the web-layer checks
 * and the log scan. Every helper returns the raw responses so tests can assert on headers too.
 */

export const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** The `Destination` a console redirect (through the federation endpoint) carries. */
export const destinationOf = (res: Response): string | null => {
  const location = res.headers.get('location');
  return location ? new URL(location).searchParams.get('Destination') : null;
};

/** The value of one Set-Cookie by name (undefined when absent). */
export const setCookie = (res: Response, name: string): string | undefined =>
  res.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));

/** The picker's hidden fields: one CSRF token and the grant ids it offers. */
export const pickerFields = (html: string): { csrf: string; grants: string[] } => {
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error('no role picker in the page');
  const grants = [...new Set([...html.matchAll(/name="grant" value="([^"]+)"/g)].map((m) => m[1]))];
  return { csrf, grants: grants as string[] };
};

/** IdP-initiated SAML: a fresh response from the demo IdP, posted to the ACS with a jar. */
export const samlIdpInitiated = async (
  runner: URL,
  idp: string,
  user: string,
  extra: Record<string, string> = {},
  jar: Jar = createJar(),
) => {
  const samlResponse = await fetchDemoSamlResponse(runner, idp, user);
  const res = await step(
    jar,
    new URL(`/saml/${idp}/acs`, runner),
    form({ SAMLResponse: samlResponse, ...extra }),
  );
  return { samlResponse, res, jar };
};

/** SP-initiated SAML: fedgate's login (with `return_to`), the demo IdP's answer, the ACS. */
export const samlSpInitiated = async (
  runner: URL,
  idp: string,
  user: string,
  returnTo?: string,
  jar: Jar = createJar(),
) => {
  const query = returnTo === undefined ? '' : `?${new URLSearchParams({ return_to: returnTo })}`;
  const login = await step(jar, new URL(`/saml/${idp}/login${query}`, runner));
  const location = login.headers.get('location');
  if (login.status !== 302 || !location) throw new Error(`login answered ${login.status}`);
  const chooser = await (await fetch(location)).text();
  const inResponseTo = /name="inResponseTo" value="([^"]+)"/.exec(chooser)?.[1];
  if (!inResponseTo) throw new Error('the demo IdP did not take the AuthnRequest');
  const samlResponse = await fetchDemoSamlResponse(runner, idp, user, inResponseTo);
  const res = await step(
    jar,
    new URL(`/saml/${idp}/acs`, runner),
    form({ SAMLResponse: samlResponse }),
  );
  return { login, samlResponse, inResponseTo, res, jar };
};

/** OIDC through the demo OP: fedgate's login (with `return_to`), the OP, fedgate's callback. */
export const oidcSignIn = async (runner: URL, user: string, returnTo?: string) => {
  const query = returnTo === undefined ? '' : `?${new URLSearchParams({ return_to: returnTo })}`;
  const { callback, jar, authorize } = await signInAtOp(
    new URL(`/oidc/demo-oidc/login${query}`, runner),
    user,
  );
  const res = await step(jar, callback);
  return { callback, authorize, res, jar };
};

/** The role picker's choice, with the jar's ticket cookie. */
export const choose = (
  runner: URL,
  jar: Jar,
  fields: { csrf: string; grant: string; target: 'console' | 'keys' },
) => step(jar, new URL('/select-role', runner), form(fields));

/** The secret values on an access-keys page. */
export const keysOf = (html: string): { secretAccessKey: string; sessionToken: string } => {
  const secretAccessKey = /aws_secret_access_key = (\S+)/.exec(html)?.[1];
  const sessionToken = /aws_session_token = (\S+?)<\/pre>/.exec(html)?.[1];
  if (!secretAccessKey || !sessionToken) throw new Error('no access keys in the page');
  return { secretAccessKey, sessionToken };
};
