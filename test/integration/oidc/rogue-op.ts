import { createHash, createHmac, createPublicKey, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** A signing key of the rogue OP: private for signing, public JWK for its JWKS. */
export interface RogueKey {
  kid: string | undefined;
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

/** A fresh RSA key; `null` for one without a `kid`. */
export const rogueKey = async (
  kidOrNull: string | null = randomBytes(6).toString('hex'),
): Promise<RogueKey> => {
  const kid = kidOrNull ?? undefined;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const publicPem = createPublicKey({ key: jwk as never, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return {
    kid,
    privateKey,
    publicJwk: { ...jwk, ...(kid ? { kid } : {}), use: 'sig', alg: 'RS256' },
    publicPem,
  };
};

/** What the next token response carries: claims and header edits, and how it is signed. */
export interface Scenario {
  claims?: (c: Record<string, unknown>) => Record<string, unknown>;
  header?: (h: Record<string, unknown>) => Record<string, unknown>;
  /** rs256 (with `key`, default the first published key), none, hs256 keyed with the public PEM, or a corrupted signature. */
  sign?: 'rs256' | 'none' | 'hs256-public-key' | 'corrupt';
  key?: RogueKey;
  /** The authorization response's `iss` parameter: default the issuer; null omits it. */
  issParam?: string | null;
  tokenDelayMs?: number;
  /** Extra bytes in the token response body. */
  tokenPadding?: number;
  /** The token endpoint fails with this status and an HTML body (after checking the code). */
  tokenFailure?: number;
  /** The keys its JWKS serves in this scenario (default: the OP's `keys`). */
  publish?: RogueKey[];
}

/** The last ID token the token endpoint issued, with what the authorization request asked for. */
export interface IssuedIdToken {
  idToken: string;
  /** The nonce of the authorization request the code was issued for. */
  nonce: string;
  clientId: string;
}

const b64u = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/**
 * An OpenID provider written as test code, serving what a real one would, except where a test
 * tells it to lie (SECURITY.md §4's catalogue). It still enforces PKCE S256 and single-use codes,
 * so fedgate's own sends are checked too.
 */
export const startRogueOp = async () => {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rogue = {
    issuer,
    keys: [] as RogueKey[],
    /** Replaces the JWKS body (e.g. an oversized one); undefined serves `keys`. */
    jwksBody: undefined as string | undefined,
    jwksFetches: 0,
    discoveryDelayMs: 0,
    /** The `issuer` its discovery document claims (default: its own URL). */
    discoveryIssuer: undefined as string | undefined,
    scenario: {} as Scenario,
    codes: new Map<string, { challenge: string; nonce: string; clientId: string; used: boolean }>(),
    tokenRequests: 0,
    /** The last ID token issued (undefined until one is). */
    issued: undefined as IssuedIdToken | undefined,
    /** The JWKS as it serves it now. */
    jwks(): { keys: JWK[] } {
      return { keys: (rogue.scenario.publish ?? rogue.keys).map((k) => k.publicJwk) };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
  rogue.keys.push(await rogueKey());

  const token = async (code: { nonce: string; clientId: string }) => {
    const s = rogue.scenario;
    const key = s.key ?? ((s.publish ?? rogue.keys)[0] as RogueKey);
    const now = Math.floor(Date.now() / 1000);
    const claims = (s.claims ?? ((c) => c))({
      iss: issuer,
      sub: 'user-1',
      aud: code.clientId,
      iat: now,
      exp: now + 300,
      nonce: code.nonce,
      email: 'user@example.com',
      groups: ['developers'],
    });
    const header = (s.header ?? ((h) => h))({
      alg: s.sign === 'none' ? 'none' : s.sign === 'hs256-public-key' ? 'HS256' : 'RS256',
      typ: 'JWT',
      ...(key.kid ? { kid: key.kid } : {}),
    });
    const input = `${b64u(header)}.${b64u(claims)}`;
    if (s.sign === 'none') return `${input}.`;
    if (s.sign === 'hs256-public-key') {
      return `${input}.${createHmac('sha256', key.publicPem).update(input).digest('base64url')}`;
    }
    const signed = await new SignJWT(claims)
      .setProtectedHeader(header as { alg: string })
      .sign(key.privateKey);
    if (s.sign !== 'corrupt') return signed;
    const [h, p, sig = ''] = signed.split('.');
    const bytes = Buffer.from(sig, 'base64url');
    bytes[0] = (bytes[0] as number) ^ 0xff;
    return `${h}.${p}.${bytes.toString('base64url')}`;
  };

  server.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      const json = (status: number, body: unknown, raw?: string) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(raw ?? JSON.stringify(body));
      };
      if (url.pathname === '/.well-known/openid-configuration') {
        await new Promise((r) => setTimeout(r, rogue.discoveryDelayMs));
        return json(200, {
          issuer: rogue.discoveryIssuer ?? issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
          authorization_response_iss_parameter_supported: true,
        });
      }
      if (url.pathname === '/jwks') {
        rogue.jwksFetches++;
        return json(200, rogue.jwks(), rogue.jwksBody);
      }
      if (url.pathname === '/authorize') {
        const p = url.searchParams;
        if (p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')) {
          return json(400, { error: 'invalid_request', error_description: 'PKCE S256 required' });
        }
        const code = randomBytes(16).toString('base64url');
        rogue.codes.set(code, {
          challenge: p.get('code_challenge') as string,
          nonce: p.get('nonce') as string,
          clientId: p.get('client_id') as string,
          used: false,
        });
        const back = new URL(p.get('redirect_uri') as string);
        back.searchParams.set('code', code);
        back.searchParams.set('state', p.get('state') as string);
        const iss = rogue.scenario.issParam === undefined ? issuer : rogue.scenario.issParam;
        if (iss !== null) back.searchParams.set('iss', iss);
        res.writeHead(302, { location: back.href });
        return res.end();
      }
      if (url.pathname === '/token' && req.method === 'POST') {
        rogue.tokenRequests++;
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const entry = rogue.codes.get(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (!entry || entry.used || entry.challenge !== challenge) {
          if (entry) entry.used = true;
          return json(400, { error: 'invalid_grant' });
        }
        entry.used = true;
        if (rogue.scenario.tokenFailure) {
          res.writeHead(rogue.scenario.tokenFailure, { 'content-type': 'text/html' });
          return res.end('<html>upstream trouble</html>');
        }
        await new Promise((r) => setTimeout(r, rogue.scenario.tokenDelayMs ?? 0));
        const idToken = await token(entry);
        rogue.issued = { idToken, nonce: entry.nonce, clientId: entry.clientId };
        const body = {
          access_token: randomBytes(16).toString('hex'),
          token_type: 'Bearer',
          expires_in: 300,
          id_token: idToken,
          ...(rogue.scenario.tokenPadding
            ? { padding: 'x'.repeat(rogue.scenario.tokenPadding) }
            : {}),
        };
        return json(200, body);
      }
      json(404, { error: 'not_found' });
    })().catch((err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  return rogue;
};

export type RogueOp = Awaited<ReturnType<typeof startRogueOp>>;
