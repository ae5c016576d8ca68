import { fetchDemoSamlResponse } from '../../../infra/local/demo/saml-idps.js';
import { completeConfirmation, type PortalChoice, readPortal } from '../../support/portal-flow.js';
import { createJar, type Jar, signInAtOp, step } from '../oidc/browserless.js';

/**
 * The sign-in flows of the local runner driven with fetch (no browser), for the web-layer checks
 * and the log scan. Every helper returns the raw responses so tests can assert on headers too;
 * the jar plays the browser's cookie store.
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

/**
 * IdP-initiated SAML at an IdP that confirms it (demo-okta): the ACS's confirmation page, then
 * Continue with the jar's confirmation cookie. `confirmation` is the ACS's raw answer.
 */
export const samlConfirmed = async (
  runner: URL,
  idp: string,
  user: string,
  extra: Record<string, string> = {},
  jar: Jar = createJar(),
) => {
  const signIn = await samlIdpInitiated(runner, idp, user, extra, jar);
  const res = await completeConfirmation(runner, signIn.res, { jar });
  return { ...signIn, confirmation: signIn.res, res };
};

/** The portal page (`GET /`) with the jar's session cookie: the raw answer and its forms. */
export const portalOf = async (runner: URL, jar: Jar) => {
  const res = await step(jar, new URL('/', runner));
  const html = await res.text();
  return { res, html, portal: readPortal(html) };
};

/** A portal row's button: `POST /portal/open` with the jar's session cookie. */
export const open = (runner: URL, jar: Jar, choice: PortalChoice) =>
  step(
    jar,
    new URL('/portal/open', runner),
    form(
      Object.fromEntries(
        Object.entries(choice).filter((e): e is [string, string] => e[1] !== undefined),
      ),
    ),
  );

/** The access keys page the portal's Access keys button leads to (its 303 followed). */
export const openKeys = async (runner: URL, jar: Jar, choice: Omit<PortalChoice, 'target'>) => {
  const opened = await open(runner, jar, { ...choice, target: 'keys' });
  const location = opened.headers.get('location');
  if (opened.status !== 303 || !location) throw new Error(`Access keys answered ${opened.status}`);
  return step(jar, new URL(location));
};

/** The secret values on an access-keys page. */
export const keysOf = (html: string): { secretAccessKey: string; sessionToken: string } => {
  const secretAccessKey = /<code id="secret-access-key">([^<]+)<\/code>/.exec(html)?.[1];
  const sessionToken = /<code id="session-token">([^<]+)<\/code>/.exec(html)?.[1];
  if (!secretAccessKey || !sessionToken) throw new Error('no access keys in the page');
  return { secretAccessKey, sessionToken };
};
