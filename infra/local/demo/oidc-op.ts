import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import { html } from '../../../shared/http/html.js';
import { page } from '../../../shared/http/responses.js';
import { applySecurityHeaders } from '../../../shared/http/security-headers.js';

/** A person the demo OpenID provider can sign in, with the claims its ID tokens carry. */
export interface DemoOidcUser {
  /** The `sub`. */
  id: string;
  name: string;
  story: string;
  claims: Readonly<Record<string, unknown>>;
}

/**
 * The demo OP's people (demo-config.yaml's `demo-oidc` rules read `groups` and `department`, its
 * gateway-wide contractor deny reads `employeeType` from every IdP).
 */
export const DEMO_OIDC_USERS: readonly DemoOidcUser[] = [
  {
    id: 'olivia',
    name: 'Olivia Okafor',
    story: 'Platform engineer: developer and platform admin, so she picks a role.',
    claims: {
      email: 'olivia@example.com',
      email_verified: true,
      groups: ['developers', 'platform-admins'],
      department: 'Engineering',
      employeeType: 'employee',
    },
  },
  {
    id: 'paul',
    name: 'Paul Petrov',
    story: 'Data analyst: developer only, so he goes straight to the console.',
    claims: {
      email: 'paul@example.com',
      email_verified: true,
      groups: ['developers'],
      department: 'Data',
      employeeType: 'employee',
    },
  },
  {
    id: 'quinn',
    name: 'Quinn Quayle',
    story: 'New joiner in no group: fedgate grants nothing.',
    claims: {
      email: 'quinn@example.com',
      email_verified: true,
      groups: [],
      department: 'Sales',
      employeeType: 'employee',
    },
  },
];

export interface DemoOpClient {
  clientId: string;
  /** Absent: a public client (`token_endpoint_auth_method: none`). */
  clientSecret?: string;
  redirectUris: readonly string[];
  idTokenSignedResponseAlg?: string;
}

export interface DemoOpOptions {
  /** The issuer, e.g. `http://127.0.0.1:8787/_local/oidc`; its path is where the OP is mounted. */
  issuer: string;
  clients: readonly DemoOpClient[];
  users?: readonly DemoOidcUser[];
  /** Private signing JWKs (default: one fresh RSA-2048 key). The first signs. */
  keys?: readonly JWK[];
  /** PKCE required for every client (default true; S256 only, oidc-provider 9's default). */
  pkceRequired?: boolean;
}

/** A running demo OP: an HTTP handler for its mount path, and key rotation for tests. */
export interface DemoOp {
  readonly issuer: string;
  /** Serves a request whose path starts with the issuer's path. `body`: when already read. */
  handle(req: IncomingMessage, res: ServerResponse, body?: Buffer): Promise<void>;
  /** Start signing with `next` (a fresh RSA key by default); the old keys stay published. */
  rotateKeys(next?: JWK): Promise<JWK>;
  /** The private JWKs, signing key first. */
  keys(): readonly JWK[];
}

/** A fresh RSA-2048 private signing JWK with a random `kid`. */
export const newSigningJwk = async (alg = 'RS256'): Promise<JWK> => {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg, use: 'sig' };
};

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 4096) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
};

/** How the demo OP's own start-up notices are marked: they are the stand-in IdP's, not fedgate's. */
export const DEMO_OP_NOTICE_PREFIX = 'demo OpenID provider:';

let providerModule: Promise<typeof import('oidc-provider')> | undefined;

/**
 * oidc-provider, loaded on first use. Its import prints "Unsupported runtime" on Node 20 (it
 * wants 22): that line is marked as the demo OP's own and explained, so that nobody reads it as
 * fedgate's (fedgate runs on Node ≥ 20.19; its Lambda functions run nodejs22.x).
 */
const loadOidcProvider = () => {
  providerModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      warn(
        `${DEMO_OP_NOTICE_PREFIX} ${text}${/Unsupported runtime/.test(text) ? " (the demo IdP's library; fedgate itself runs on Node >= 20.19)" : ''}`,
      );
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return providerModule;
};

type Stored = { payload: Record<string, unknown>; expiresAt: number | undefined };

/**
 * The demo OP's storage (sessions, interactions, codes, grants): this process's memory, as the
 * demo needs, under oidc-provider's adapter interface. Configuring it replaces the library's
 * own development adapter (and its warning). Expired entries go when read, or in a sweep.
 */
const createMemoryAdapter = () => {
  const store = new Map<string, Stored>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();
  const live = (key: string | undefined) => {
    const entry = key === undefined ? undefined : store.get(key);
    if (!entry || key === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  };
  const sweep = () => {
    for (const key of store.keys()) live(key);
  };
  return (model: string) => {
    const keyOf = (id: string) => `${model}:${id}`;
    return {
      async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
        if (store.size > 10_000) sweep();
        const key = keyOf(id);
        store.set(key, {
          payload,
          expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
        });
        if (typeof payload.uid === 'string') byUid.set(payload.uid, key);
        if (typeof payload.userCode === 'string') byUserCode.set(payload.userCode, key);
        if (typeof payload.grantId === 'string') {
          const keys = byGrant.get(payload.grantId) ?? new Set<string>();
          byGrant.set(payload.grantId, keys.add(key));
        }
      },
      find: async (id: string) => live(keyOf(id)),
      findByUid: async (uid: string) => live(byUid.get(uid)),
      findByUserCode: async (userCode: string) => live(byUserCode.get(userCode)),
      async consume(id: string) {
        const payload = live(keyOf(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        store.delete(keyOf(id));
      },
      async revokeByGrantId(grantId: string) {
        for (const key of byGrant.get(grantId) ?? []) store.delete(key);
        byGrant.delete(grantId);
      },
    };
  };
};

/**
 * A request whose body was read already, readable again: a stream of the body with the request's
 * method, URL, headers and socket (not an IncomingMessage of the socket: ending that one would
 * close the connection before the answer).
 */
const replayRequest = (req: IncomingMessage, body: Buffer): IncomingMessage =>
  Object.assign(Readable.from([body]), {
    method: req.method,
    url: req.url,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    socket: req.socket,
    connection: req.socket,
  }) as unknown as IncomingMessage;

const send = (res: ServerResponse, response: ReturnType<typeof page>) => {
  const r = applySecurityHeaders(response);
  res.writeHead(r.statusCode, r.headers);
  res.end(r.body);
};

/**
 * An in-process OpenID provider (oidc-provider 9) for the local runner and the tests: code flow
 * with PKCE (S256) required, ID tokens carrying the people's claims (so fedgate needs no
 * userinfo call), a one-click login page instead of a password, and no consent prompt (a grant
 * for the requested scopes is created on the fly: these are first-party demo clients). The login
 * page comes at every sign-in, also when the OP already has a session: it offers to continue as
 * that person or to sign in as someone else (the demo's people are switched often). Only
 * `prompt=none` skips it.
 */
export const createDemoOp = async (opts: DemoOpOptions): Promise<DemoOp> => {
  const { default: Provider, interactionPolicy } = await loadOidcProvider();
  const users = opts.users ?? DEMO_OIDC_USERS;
  const adapter = createMemoryAdapter();
  const policy = interactionPolicy.base();
  policy
    .get('login')
    ?.checks.add(
      new interactionPolicy.Check(
        'demo_account_chooser',
        'the demo OP offers to sign in as someone else at every sign-in',
        'login_required',
        (ctx) =>
          ctx.oidc.result?.login !== undefined || ctx.oidc.prompts.has('none')
            ? interactionPolicy.Check.NO_NEED_TO_PROMPT
            : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );
  const mountPath = new URL(opts.issuer).pathname.replace(/\/+$/, '');
  let keys: JWK[] = opts.keys ? [...opts.keys] : [await newSigningJwk()];
  const cookieKeys = [randomBytes(32).toString('base64url')];
  const customClaims = [...new Set(users.flatMap((u) => Object.keys(u.claims)))].filter(
    (c) => c !== 'email' && c !== 'email_verified',
  );

  const build = () => {
    const provider = new Provider(opts.issuer, {
      clients: opts.clients.map((c) => ({
        client_id: c.clientId,
        ...(c.clientSecret
          ? { client_secret: c.clientSecret, token_endpoint_auth_method: 'client_secret_basic' }
          : { token_endpoint_auth_method: 'none' }),
        redirect_uris: [...c.redirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: c.idTokenSignedResponseAlg ?? 'RS256',
      })),
      jwks: { keys },
      cookies: { keys: cookieKeys },
      pkce: { required: () => opts.pkceRequired ?? true },
      // The ID token carries the scopes' claims (fedgate reads the ID token only).
      conformIdTokenClaims: false,
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', ...customClaims],
      },
      features: { devInteractions: { enabled: false } },
      adapter,
      interactions: {
        policy,
        url: (_ctx: unknown, i: { uid: string }) => `${mountPath}/interaction/${i.uid}`,
      },
      // The OP's error page, in the demo's own look (the library's default asks to be replaced).
      renderError: async (
        ctx: { type: string; body: string; status: number },
        out: { error?: string; error_description?: string },
      ) => {
        ctx.type = 'html';
        ctx.body =
          page(ctx.status, {
            title: 'Demo OpenID Provider: error',
            content: html`<h1>Demo OpenID Provider</h1>
<p>${out.error ?? 'error'}: ${out.error_description ?? 'the request could not be completed'}</p>`,
          }).body ?? '';
      },
      findAccount: (_ctx: unknown, id: string) => {
        const user = users.find((u) => u.id === id);
        return user
          ? { accountId: id, claims: async () => ({ sub: id, name: user.name, ...user.claims }) }
          : undefined;
      },
      // No consent screen: first-party demo clients get the scopes they ask for.
      loadExistingGrant: async (ctx: {
        oidc: {
          client: { clientId: string };
          session: { accountId: string; grantIdFor(id: string): string | undefined };
          result?: { consent?: { grantId?: string } };
          provider: Provider;
        };
      }) => {
        const { oidc } = ctx;
        const existing =
          oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
        if (existing) return oidc.provider.Grant.find(existing);
        const grant = new oidc.provider.Grant({
          clientId: oidc.client.clientId,
          accountId: oidc.session.accountId,
        });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
      // Every lifetime the demo uses, set (the library asks for each one it would default).
      ttl: {
        Session: 3600,
        Interaction: 600,
        Grant: 3600,
        AuthorizationCode: 60,
        AccessToken: 300,
        IdToken: 3600,
      },
    });
    provider.on('server_error', (_ctx, err) => console.error('demo OP server_error', err));
    return provider;
  };
  let provider = build();
  // Koa composes its middleware in callback(): once per provider, not per request.
  let serve = provider.callback();

  const loginPage = (uid: string, current: DemoOidcUser | undefined) =>
    page(200, {
      title: 'Demo OpenID Provider: sign in',
      content: html`<h1>Demo OpenID Provider</h1>
<p class="muted">A local stand-in for your company's OpenID provider (oidc-provider). Pick who you are;
it sends you back to fedgate with an authorization code.</p>
${
  current
    ? html`<p id="signed-in">Signed in here as <strong>${current.name}</strong>: continue as ${current.name.split(' ')[0]}, or sign in as someone else.</p>`
    : ''
}
<div class="card"><ul class="list" aria-label="Demo people">
${[...(current ? [current] : []), ...users.filter((u) => u !== current)].map(
  (
    u,
  ) => html`<li><span><strong>${u.name}</strong>${u === current ? html` <span class="muted">(signed in)</span>` : ''}<br><span class="muted">${u.story}</span></span>
<form method="post" action="${mountPath}/interaction/${uid}/login" class="inline">
<input type="hidden" name="user" value="${u.id}">
<button type="submit">Sign in as ${u.name.split(' ')[0]}</button></form></li>`,
)}
</ul></div>`,
    });

  const handle = async (req: IncomingMessage, res: ServerResponse, body?: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://op.invalid');
    const rest = url.pathname.slice(mountPath.length);
    const interaction = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login)?$/.exec(rest);
    if (interaction) {
      try {
        const details = await provider.interactionDetails(req, res);
        if (details.uid !== interaction[1]) throw new Error('interaction mismatch');
        if (req.method === 'GET' && !interaction[2]) {
          const current = users.find((u) => u.id === details.session?.accountId);
          return send(res, loginPage(details.uid, current));
        }
        if (req.method === 'POST' && interaction[2]) {
          const form = body ?? (await readBody(req));
          const userId = new URLSearchParams(form.toString('utf8')).get('user');
          const user = users.find((u) => u.id === userId);
          if (!user) {
            return send(
              res,
              page(400, { title: 'Unknown user', content: html`<p>No such demo user.</p>` }),
            );
          }
          const previous = details.session;
          if (previous?.accountId !== undefined && previous.accountId !== user.id) {
            // Someone else: end the OP's session of the person before, as oidc-provider's own
            // switch does through a logout form, so that this sign-in goes on at once.
            await (await provider.Session.findByUid(previous.uid))?.destroy();
            delete details.session;
            await details.save(Math.max(1, details.exp - Math.floor(Date.now() / 1000)));
          }
          return await provider.interactionFinished(
            req,
            res,
            { login: { accountId: user.id } },
            {
              mergeWithLastSubmission: false,
            },
          );
        }
      } catch {
        return send(
          res,
          page(400, {
            title: 'Sign-in expired',
            content: html`<p>This sign-in has expired. Start again from fedgate.</p>`,
          }),
        );
      }
      return send(res, page(405, { title: 'Not allowed', content: html`<p>Not allowed.</p>` }));
    }
    // A body the runner already read is replayed as a stream, as oidc-provider reads it (handed
    // over as req.body, the library warns about an upstream body parser).
    const r = (body ? replayRequest(req, body) : req) as IncomingMessage & {
      originalUrl?: string;
    };
    // oidc-provider routes relative to its mount path; it rebuilds absolute URLs from originalUrl.
    r.originalUrl = req.url ?? '/';
    r.url = `${rest || '/'}${url.search}`;
    serve(r, res);
    await new Promise<void>((done) => res.once('close', () => done()));
  };

  return {
    issuer: opts.issuer,
    handle,
    async rotateKeys(next) {
      const key = next ?? (await newSigningJwk());
      keys = [key, ...keys];
      provider = build();
      serve = provider.callback();
      return key;
    },
    keys: () => keys,
  };
};
