import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { html } from '../../../shared/http/html.js';
import { page } from '../../../shared/http/responses.js';
import { applySecurityHeaders } from '../../../shared/http/security-headers.js';
import { ensureLocalKeyPair, type LocalKeyPair } from '../keys.js';
import type { LocalContext, LocalPlugin } from '../plugin.js';
import { buildUpstreamResponse, signUpstreamResponse } from '../upstream/saml-response.js';
import { DEMO_USERS, type DemoUser } from './demo-users.js';

/** The demo SAML IdPs of the demo config: one shaped like Okta, one like Entra ID. */
export const DEMO_SAML_IDPS = [
  {
    id: 'demo-okta',
    name: 'Okta (demo)',
    commonName: 'fedgate demo Okta IdP',
    entityId: (base: URL) => `${base.origin}/_local/idp/demo-okta`,
  },
  {
    id: 'demo-entra',
    name: 'Microsoft Entra ID (demo)',
    commonName: 'fedgate demo Entra ID IdP',
    entityId: () => 'https://sts.windows.net/0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18/',
  },
] as const;

type DemoIdp = (typeof DEMO_SAML_IDPS)[number];

const xmlEscape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );

const metadataXml = (entityId: string, ssoUrl: string, certificatePem: string) => {
  const cert = certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${xmlEscape(entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${xmlEscape(ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
};

const send = (res: ServerResponse, response: ReturnType<typeof page>) => {
  const r = applySecurityHeaders(response);
  res.writeHead(r.statusCode, r.headers);
  res.end(r.body);
};

/** The AuthnRequest's ID, read from an HTTP-Redirect SAMLRequest (deflated, base64). */
const readAuthnRequestId = (samlRequest: string): string | undefined => {
  try {
    const xml = inflateRawSync(Buffer.from(samlRequest, 'base64'), {
      maxOutputLength: 64 * 1024,
    }).toString('utf8');
    if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return undefined;
    const doc = new DOMParser({ errorHandler: () => undefined }).parseFromString(xml, 'text/xml');
    const root = doc.documentElement;
    if (
      root?.localName !== 'AuthnRequest' ||
      root.namespaceURI !== 'urn:oasis:names:tc:SAML:2.0:protocol'
    )
      return undefined;
    const id = root.getAttribute('ID');
    return id && /^[A-Za-z_][\w.-]{0,127}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
};

const AUTO_POST = 'document.forms[0].submit();';

/**
 * The demo SAML IdPs: each gets a key pair (generated once into `.local/demo/`) and IdP metadata
 * that the demo config's `metadataFile` points at, and a sign-in page at `/_local/idp/<id>`: pick
 * a demo person and the IdP signs a response and auto-posts it to fedgate's ACS, IdP-initiated
 * (like an Okta tile) or, when it came with an AuthnRequest, SP-initiated (with InResponseTo).
 */
export const demoSamlIdps = (): LocalPlugin => {
  const keys = new Map<string, LocalKeyPair>();

  const chooser = (idp: DemoIdp, ctx: LocalContext, inResponseTo?: string) =>
    page(200, {
      title: `${idp.name}: sign in`,
      content: html`<h1>${idp.name}</h1>
<p class="muted">A local stand-in for your company's identity provider. Pick who you are; it signs a SAML
response${inResponseTo ? ' to fedgate’s sign-in request' : ' (IdP-initiated, like an app tile)'} and posts it to fedgate.</p>
<div class="card"><ul class="list" aria-label="Demo people">
${DEMO_USERS[idp.id].map(
  (
    u: DemoUser,
  ) => html`<li><span><strong>${u.name}</strong><br><span class="muted">${u.story}</span></span>
<form method="post" action="${new URL(`/_local/idp/${idp.id}/signin`, ctx.baseUrl).href}" class="inline">
<input type="hidden" name="user" value="${u.id}">${inResponseTo ? html`<input type="hidden" name="inResponseTo" value="${inResponseTo}">` : ''}
<button type="submit">Sign in as ${u.name.split(' ')[0]}</button></form></li>`,
)}
</ul></div>`,
    });

  const signIn = async (
    idp: DemoIdp,
    ctx: LocalContext,
    userId: string,
    inResponseTo: string | undefined,
  ) => {
    const user = DEMO_USERS[idp.id].find((u) => u.id === userId);
    const key = keys.get(idp.id);
    if (!user || !key)
      return page(400, { title: 'Unknown user', content: html`<p>No such demo user.</p>` });
    const acsUrl = new URL(`/saml/${idp.id}/acs`, ctx.baseUrl).href;
    const xml = buildUpstreamResponse({
      issuer: idp.entityId(ctx.baseUrl),
      audience: new URL(`/saml/${idp.id}/metadata`, ctx.baseUrl).href,
      acsUrl,
      nameId: user.nameId,
      attributes: user.attributes,
      ...(inResponseTo ? { inResponseTo } : {}),
      now: Math.floor(Date.now() / 1000),
      style: idp.id === 'demo-entra' ? 'entra' : 'okta',
    });
    const signed = signUpstreamResponse(xml, {
      privateKeyPem: key.privateKeyPem,
      certificatePem: key.certificatePem,
      signAssertion: true,
      signResponse: idp.id === 'demo-entra',
    });
    return page(200, {
      title: 'Signing in…',
      scripts: [AUTO_POST],
      content: html`<p>Signing in to fedgate as ${user.name}…</p>
<form method="post" action="${acsUrl}">
<input type="hidden" name="SAMLResponse" value="${Buffer.from(signed).toString('base64')}">
<noscript><button type="submit">Continue</button></noscript>
</form>`,
    });
  };

  return {
    name: 'demo SAML IdPs',
    prefix: '/_local/idp/',
    async prepare(ctx: LocalContext) {
      const dir = join(ctx.workDir, 'demo');
      await mkdir(dir, { recursive: true });
      for (const idp of DEMO_SAML_IDPS) {
        const pair = await ensureLocalKeyPair(dir, idp.id, idp.commonName);
        keys.set(idp.id, pair);
        const ssoUrl = new URL(`/_local/idp/${idp.id}/sso`, ctx.baseUrl).href;
        await writeFile(
          join(dir, `${idp.id}.metadata.xml`),
          metadataXml(idp.entityId(ctx.baseUrl), ssoUrl, pair.certificatePem),
        );
      }
      return undefined;
    },
    async handle(req: IncomingMessage, res: ServerResponse, body: Buffer, ctx: LocalContext) {
      const url = new URL(req.url ?? '/', ctx.baseUrl);
      const [, , , id, action = ''] = url.pathname.split('/');
      const idp = DEMO_SAML_IDPS.find((i) => i.id === id);
      if (!idp)
        return send(
          res,
          page(404, { title: 'Not found', content: html`<p>No such demo IdP.</p>` }),
        );
      if (req.method === 'GET' && action === '') return send(res, chooser(idp, ctx));
      if (req.method === 'GET' && action === 'sso') {
        const requestId = readAuthnRequestId(url.searchParams.get('SAMLRequest') ?? '');
        if (!requestId)
          return send(
            res,
            page(400, { title: 'Bad request', content: html`<p>No valid AuthnRequest.</p>` }),
          );
        return send(res, chooser(idp, ctx, requestId));
      }
      if (req.method === 'POST' && action === 'signin') {
        const form = new URLSearchParams(body.toString('utf8'));
        return send(
          res,
          await signIn(idp, ctx, form.get('user') ?? '', form.get('inResponseTo') ?? undefined),
        );
      }
      return send(res, page(404, { title: 'Not found', content: html`<p>Not found.</p>` }));
    },
    describe: (ctx) =>
      DEMO_SAML_IDPS.map(
        (idp) =>
          `demo SAML IdP        ${new URL(`/_local/idp/${idp.id}`, ctx.baseUrl).href} (${idp.name})`,
      ),
  };
};

/**
 * A fresh signed SAMLResponse from a running runner's demo IdP for one demo person, read from the
 * IdP's auto-post page (IdP-initiated unless `inResponseTo` is given). For `npm run events` and
 * tests. Base64 needs no unescaping: the page's HTML escaping never touches its characters.
 */
export const fetchDemoSamlResponse = async (
  runner: URL,
  idp: string,
  user: string,
  inResponseTo?: string,
): Promise<string> => {
  const res = await fetch(new URL(`/_local/idp/${idp}/signin`, runner), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user, ...(inResponseTo ? { inResponseTo } : {}) }).toString(),
  });
  const value = /name="SAMLResponse" value="([A-Za-z0-9+/=]+)"/.exec(await res.text())?.[1];
  if (!value) throw new Error(`demo IdP ${idp} gave no SAMLResponse for ${user} (${res.status})`);
  return value;
};
