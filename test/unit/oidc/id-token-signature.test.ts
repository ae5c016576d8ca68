import {
  constants,
  createHmac,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
} from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createBoundedFetch,
  createIdTokenSignatureVerifier,
  type IdTokenSignatureVerifierOptions,
  type IdTokenSigningAlg,
  JWKS_BACKOFF_BASE_MS,
  JWKS_BACKOFF_MAX_MS,
  JWKS_MAX_STALE_MS,
} from '../../../shared/oidc/index.js';

const JWKS_URI = 'https://op.example/jwks';
const CLAIMS = { iss: 'https://op.example', sub: 'user-1', aud: 'fedgate', nonce: 'n-1' };

interface Pair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const rsa = (bits = 2048): Pair => generateKeyPairSync('rsa', { modulusLength: bits });
const ec = (namedCurve: string): Pair => generateKeyPairSync('ec', { namedCurve });
const ed25519 = (): Pair => generateKeyPairSync('ed25519');

const publicJwk = (pair: Pair, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...pair.publicKey.export({ format: 'jwk' }),
  ...extra,
});

const b64u = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An ID token signed by jose (an implementation independent of the one under test). */
const signed = (pair: Pair, header: Record<string, unknown>, claims: object = CLAIMS) =>
  new SignJWT({ ...claims }).setProtectedHeader(header as { alg: string }).sign(pair.privateKey);

/** An ID token signed here with node:crypto (RSA PKCS#1 v1.5), whatever its header says. */
const rawSigned = (pair: Pair, header: Record<string, unknown>, claims: object = CLAIMS) => {
  const input = `${b64u(header)}.${b64u(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), pair.privateKey).toString('base64url')}`;
};

/** An IdP answered from memory: counts JWKS fetches, serves `keys` (or `respond`'s answer). */
const idp = (keys: Record<string, unknown>[]) => {
  const state = {
    keys,
    fetches: 0,
    urls: [] as string[],
    respond: undefined as (() => Response | Promise<Response>) | undefined,
  };
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    state.fetches++;
    state.urls.push(String(input));
    const answer = state.respond ? state.respond() : Response.json({ keys: state.keys });
    // As a real fetch does: the caller's deadline aborts a request that never answers.
    const aborted = new Promise<never>((_, reject) =>
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
    );
    return Promise.race([answer, aborted]);
  }) as typeof globalThis.fetch;
  return { state, fetch };
};

/** A verifier for `alg` against `keys`, with its own clock. */
const setup = (
  alg: IdTokenSigningAlg,
  keys: Record<string, unknown>[],
  extra: Partial<IdTokenSignatureVerifierOptions> & { maxResponseBytes?: number } = {},
) => {
  const op = idp(keys);
  const clock = { now: 1_800_000_000_000 };
  const { maxResponseBytes, ...opts } = extra;
  const verifier = createIdTokenSignatureVerifier({
    jwksUri: JWKS_URI,
    alg,
    fetch: createBoundedFetch({
      fetch: op.fetch,
      timeoutMs: 200,
      ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}),
    }),
    clock: () => clock.now,
    ...opts,
  });
  return { verifier, op: op.state, clock };
};

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? `not a GatewayError: ${String(err)}`;
  }
  return 'accepted';
};

describe('createIdTokenSignatureVerifier', () => {
  let rs: Pair;
  let rs2: Pair;
  const keys = {} as Record<'p256' | 'p384' | 'p521' | 'ed', Pair>;

  beforeAll(() => {
    rs = rsa();
    rs2 = rsa();
    keys.p256 = ec('P-256');
    keys.p384 = ec('P-384');
    keys.p521 = ec('P-521');
    keys.ed = ed25519();
  });

  describe('each pinned algorithm verifies with node:crypto (tokens signed by jose)', () => {
    it.each([
      ['RS256', () => rs],
      ['RS384', () => rs],
      ['RS512', () => rs],
      ['PS256', () => rs],
      ['PS384', () => rs],
      ['PS512', () => rs],
      ['ES256', () => keys.p256],
      ['ES384', () => keys.p384],
      ['ES512', () => keys.p521],
      ['EdDSA', () => keys.ed],
      ['Ed25519', () => keys.ed],
    ] as const)(
      '%s: the honest token passes, one with a flipped bit does not',
      async (alg, pair) => {
        const { verifier, op } = setup(alg, [publicJwk(pair(), { kid: 'k1', use: 'sig', alg })]);
        const token = await signed(pair(), { alg, kid: 'k1' });
        expect(await codeOf(verifier.verify(token))).toBe('accepted');
        const sig = Buffer.from(token.split('.')[2] as string, 'base64url');
        sig[sig.length >> 1] = (sig[sig.length >> 1] as number) ^ 0x01;
        const tampered = `${token.slice(0, token.lastIndexOf('.'))}.${sig.toString('base64url')}`;
        expect(await codeOf(verifier.verify(tampered))).toBe('oidc_signature_invalid');
        // Changed claims under the original signature.
        const [h, , s] = token.split('.');
        const forged = `${h}.${b64u({ ...CLAIMS, sub: 'admin' })}.${s}`;
        expect(await codeOf(verifier.verify(forged))).toBe('oidc_signature_invalid');
        expect(op.fetches).toBe(1);
      },
    );
  });

  it('PS256: the salt is the digest length; a PSS signature with another salt length is refused', async () => {
    const { verifier } = setup('PS256', [publicJwk(rs, { kid: 'k1' })]);
    const input = `${b64u({ alg: 'PS256', kid: 'k1' })}.${b64u(CLAIMS)}`;
    const withSalt = (saltLength: number) =>
      `${input}.${sign('sha256', Buffer.from(input), {
        key: rs.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      }).toString('base64url')}`;
    expect(await codeOf(verifier.verify(withSalt(32)))).toBe('accepted');
    expect(await codeOf(verifier.verify(withSalt(0)))).toBe('oidc_signature_invalid');
    expect(await codeOf(verifier.verify(withSalt(64)))).toBe('oidc_signature_invalid');
  });

  it('PS256 pinned: an RS256 (PKCS#1 v1.5) signature by the same key is refused by its alg', async () => {
    const { verifier, op } = setup('PS256', [publicJwk(rs, { kid: 'k1' })]);
    const token = await signed(rs, { alg: 'RS256', kid: 'k1' });
    expect(await codeOf(verifier.verify(token))).toBe('oidc_algorithm_not_allowed');
    expect(op.fetches).toBe(0);
  });

  it('ES256: only the IEEE P1363 form (R || S) is accepted, not DER', async () => {
    const { verifier } = setup('ES256', [publicJwk(keys.p256, { kid: 'k1' })]);
    const input = `${b64u({ alg: 'ES256', kid: 'k1' })}.${b64u(CLAIMS)}`;
    const der = sign('sha256', Buffer.from(input), keys.p256.privateKey).toString('base64url');
    expect(await codeOf(verifier.verify(`${input}.${der}`))).toBe('oidc_signature_invalid');
    const p1363 = sign('sha256', Buffer.from(input), {
      key: keys.p256.privateKey,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url');
    expect(await codeOf(verifier.verify(`${input}.${p1363}`))).toBe('accepted');
  });

  describe('the header', () => {
    it.each([
      ['alg none', { alg: 'none', kid: 'k1' }, ''],
      ['alg none in another case', { alg: 'None', kid: 'k1' }, ''],
      ['HS256 keyed with the public key (RS/HS confusion)', { alg: 'HS256', kid: 'k1' }, 'hmac'],
      ['another asymmetric alg than the pinned one', { alg: 'RS512', kid: 'k1' }, 'rs512'],
      ['alg missing', { kid: 'k1' }, 'AAAA'],
      ['alg not a string', { alg: ['RS256'], kid: 'k1' }, 'AAAA'],
    ])('%s: refused before any key is fetched', async (_, header, how) => {
      const { verifier, op } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      const input = `${b64u(header)}.${b64u(CLAIMS)}`;
      const pem = rs.publicKey.export({ type: 'spki', format: 'pem' });
      const sig =
        how === 'hmac'
          ? createHmac('sha256', pem).update(input).digest('base64url')
          : how === 'rs512'
            ? sign('sha512', Buffer.from(input), rs.privateKey).toString('base64url')
            : how;
      expect(await codeOf(verifier.verify(`${input}.${sig}`))).toBe('oidc_algorithm_not_allowed');
      expect(op.fetches).toBe(0);
    });

    it('crit: refused (no extension is implemented), even with a valid signature', async () => {
      const { verifier } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      const token = rawSigned(rs, { alg: 'RS256', kid: 'k1', crit: ['exp'], exp: 1 });
      expect(await codeOf(verifier.verify(token))).toBe('oidc_id_token_invalid');
    });

    it('jwk, jku, x5u, x5c are never used: an attacker key in the header does not verify', async () => {
      const { verifier, op } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      const attacker = rsa();
      const token = await signed(attacker, {
        alg: 'RS256',
        kid: 'k1',
        jwk: attacker.publicKey.export({ format: 'jwk' }),
        jku: 'https://evil.example/jwks',
        x5u: 'https://evil.example/cert',
        x5c: ['AAAA'],
      });
      expect(await codeOf(verifier.verify(token))).toBe('oidc_signature_invalid');
      expect(op.urls).toEqual([JWKS_URI]);
    });

    it.each([
      ['absent', undefined],
      ['JWT', 'JWT'],
      ['jwt (media types compare case-insensitively)', 'jwt'],
      ['application/jwt (the same media type, prefix written out)', 'application/jwt'],
      ['Application/JWT', 'Application/JWT'],
    ])('typ %s: accepted', async (_, typ) => {
      const { verifier } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      const token = await signed(rs, { alg: 'RS256', kid: 'k1', ...(typ ? { typ } : {}) });
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
    });

    it.each([
      ['at+jwt (an access token, RFC 9068)', 'at+jwt'],
      ['application/at+jwt', 'application/at+jwt'],
      ['logout+jwt (a logout token)', 'logout+jwt'],
      ['JOSE', 'JOSE'],
      ['empty', ''],
      ['JWT with a space', 'JWT '],
      ['text/jwt (another media type)', 'text/jwt'],
      ['not a string', ['JWT']],
    ])(
      'typ %s: oidc_id_token_typ_invalid, even with a valid signature, no key fetched',
      async (_, typ) => {
        const { verifier, op } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
        const token = rawSigned(rs, { alg: 'RS256', kid: 'k1', typ });
        expect(await codeOf(verifier.verify(token))).toBe('oidc_id_token_typ_invalid');
        expect(op.fetches).toBe(0);
      },
    );

    it('an empty signature: oidc_signature_invalid', async () => {
      const { verifier } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      const token = await signed(rs, { alg: 'RS256', kid: 'k1' });
      const unsigned = `${token.slice(0, token.lastIndexOf('.'))}.`;
      expect(await codeOf(verifier.verify(unsigned))).toBe('oidc_signature_invalid');
    });

    it('a kid that is not a non-empty string: refused as malformed', async () => {
      const { verifier } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      for (const kid of [1, '', ['k1'], null]) {
        const token = rawSigned(rs, { alg: 'RS256', kid });
        expect(await codeOf(verifier.verify(token))).toBe('oidc_id_token_invalid');
      }
    });
  });

  describe('the compact form', () => {
    it.each([
      ['two parts', (t: string) => t.slice(0, t.lastIndexOf('.'))],
      ['four parts', (t: string) => `${t}.AAAA`],
      ['five parts (a JWE)', (t: string) => `${t}.AAAA.AAAA`],
      ['an empty payload', (t: string) => t.replace(/\.[^.]+\./, '..')],
      ['base64 padding', (t: string) => `${t}==`],
      ['a "+" (base64, not base64url)', (t: string) => t.replace('.', '.+')],
      ['whitespace', (t: string) => ` ${t}`],
      ['a part of length 1 mod 4', (t: string) => `${t.slice(0, t.lastIndexOf('.'))}.AAAAA`],
      ['a header that is not JSON', (t: string) => `bm90IGpzb24${t.slice(t.indexOf('.'))}`],
      ['a header that is an array', (t: string) => `${b64u(['RS256'])}${t.slice(t.indexOf('.'))}`],
      ['not a string', () => 42 as unknown as string],
    ])('%s: oidc_id_token_invalid', async (_, change) => {
      const { verifier, op } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      const token = await signed(rs, { alg: 'RS256', kid: 'k1' });
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      expect(await codeOf(verifier.verify(change(token)))).toBe('oidc_id_token_invalid');
      expect(op.fetches).toBe(1);
    });

    it('over the size cap: refused before the header is parsed or a key fetched', async () => {
      const { verifier, op } = setup('RS256', [publicJwk(rs, { kid: 'k1' })], {
        maxTokenChars: 4096,
      });
      const big = await signed(
        rs,
        { alg: 'RS256', kid: 'k1' },
        { ...CLAIMS, pad: 'x'.repeat(4096) },
      );
      expect(await codeOf(verifier.verify(big))).toBe('oidc_id_token_invalid');
      expect(op.fetches).toBe(0);
      expect(await codeOf(verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k1' })))).toBe(
        'accepted',
      );
    });
  });

  describe('a member name twice (RFC 7519 §4: refused, not read as its last value)', () => {
    /** Signed over the JSON texts exactly as written (JSON.stringify cannot repeat a name). */
    const signedText = (pair: Pair, header: string, payload: string) => {
      const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
      return `${input}.${sign('sha256', Buffer.from(input), pair.privateKey).toString('base64url')}`;
    };
    const HEADER = '{"alg":"RS256","kid":"k1"}';
    const claims = (extra: string) => `${JSON.stringify(CLAIMS).slice(0, -1)},${extra}}`;

    it.each([
      [
        'a claim sent twice',
        HEADER,
        claims('"employeeType":"contractor","employeeType":"employee"'),
      ],
      ['the same claim, once escaped', HEADER, claims('"role":"a","r\\u006fle":"b"')],
      ['sub twice', HEADER, claims('"sub":"user-2"')],
      ['twice inside a nested claim', HEADER, claims('"address":{"country":"x","country":"y"}')],
      [
        'alg twice in the header',
        '{"alg":"none","alg":"RS256","kid":"k1"}',
        JSON.stringify(CLAIMS),
      ],
    ])('%s: oidc_id_token_invalid, with a valid signature', async (_, header, payload) => {
      const { verifier } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      expect(await codeOf(verifier.verify(signedText(rs, header, payload)))).toBe(
        'oidc_id_token_invalid',
      );
    });

    it('the same name in two different objects, in an array or as a value is no repeat', async () => {
      const { verifier } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      const payload = claims(
        '"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}],"d":"\\"d\\":\\"e\\"","e":["e","e"]',
      );
      expect(JSON.parse(payload).d).toBe('"d":"e"');
      expect(await codeOf(verifier.verify(signedText(rs, HEADER, payload)))).toBe('accepted');
    });

    it('a payload that is not JSON: oidc_id_token_invalid', async () => {
      const { verifier } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      expect(await codeOf(verifier.verify(signedText(rs, HEADER, '{"sub":"a"')))).toBe(
        'oidc_id_token_invalid',
      );
    });
  });

  describe('key selection (oauth4webapi getPublicSigKeyFromIssuerJwksUri rules)', () => {
    it.each([
      ['use enc', { use: 'enc' }],
      ['key_ops without verify', { key_ops: ['encrypt', 'wrapKey'] }],
      ['key_ops that is not an array', { key_ops: 'verify' }],
      ['another alg on the key', { alg: 'RS384' }],
      ['another kid', { kid: 'k2' }],
    ])('the only key has %s: oidc_key_not_found', async (_, extra) => {
      const { verifier } = setup('RS256', [publicJwk(rs, { kid: 'k1', ...extra })]);
      const token = await signed(rs, { alg: 'RS256', kid: 'k1' });
      expect(await codeOf(verifier.verify(token))).toBe('oidc_key_not_found');
    });

    it('key_ops with verify and use sig: selected', async () => {
      const { verifier } = setup('RS256', [
        publicJwk(rs, { kid: 'k1', use: 'sig', key_ops: ['verify'], alg: 'RS256' }),
      ]);
      expect(await codeOf(verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k1' })))).toBe(
        'accepted',
      );
    });

    it('ES256 pinned: a P-384 key under the same kid is not a candidate (wrong crv)', async () => {
      const { verifier } = setup('ES256', [publicJwk(keys.p384, { kid: 'k1' })]);
      const token = await signed(keys.p256, { alg: 'ES256', kid: 'k1' });
      expect(await codeOf(verifier.verify(token))).toBe('oidc_key_not_found');
    });

    it('EdDSA pinned: an RSA key under the same kid is not a candidate (kty)', async () => {
      const { verifier } = setup('EdDSA', [publicJwk(rs, { kid: 'k1' })]);
      const token = await signed(keys.ed, { alg: 'EdDSA', kid: 'k1' });
      expect(await codeOf(verifier.verify(token))).toBe('oidc_key_not_found');
    });

    it('an encryption key beside the signing key, neither with kid: the signing key is the one', async () => {
      const { verifier } = setup('RS256', [
        publicJwk(rs2, { use: 'enc' }),
        publicJwk(keys.p256, {}),
        publicJwk(rs, { use: 'sig' }),
      ]);
      expect(await codeOf(verifier.verify(await signed(rs, { alg: 'RS256' })))).toBe('accepted');
    });

    it('two signing keys and a token without kid: refused, whichever key signed', async () => {
      const { verifier } = setup('RS256', [publicJwk(rs), publicJwk(rs2)]);
      expect(await codeOf(verifier.verify(await signed(rs, { alg: 'RS256' })))).toBe(
        'oidc_key_not_found',
      );
    });

    it('two keys with the same kid: refused', async () => {
      const { verifier } = setup('RS256', [
        publicJwk(rs, { kid: 'k' }),
        publicJwk(rs2, { kid: 'k' }),
      ]);
      expect(await codeOf(verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k' })))).toBe(
        'oidc_key_not_found',
      );
    });

    it('two keys with kids: the token kid picks the key; the other key does not verify it', async () => {
      const { verifier } = setup('RS256', [
        publicJwk(rs, { kid: 'a' }),
        publicJwk(rs2, { kid: 'b' }),
      ]);
      expect(await codeOf(verifier.verify(await signed(rs2, { alg: 'RS256', kid: 'b' })))).toBe(
        'accepted',
      );
      expect(await codeOf(verifier.verify(await signed(rs2, { alg: 'RS256', kid: 'a' })))).toBe(
        'oidc_signature_invalid',
      );
    });

    it('an RSA key under 2048 bits: refused as an IdP misconfiguration (502), not verified', async () => {
      const weak = rsa(1024);
      const { verifier } = setup('RS256', [publicJwk(weak, { kid: 'k1' })]);
      const error = await verifier
        .verify(rawSigned(weak, { alg: 'RS256', kid: 'k1' }))
        .catch((e) => e);
      expect(error).toMatchObject({ code: 'oidc_discovery_invalid', status: 502 });
    });

    it('a JWK node:crypto cannot read: oidc_discovery_invalid', async () => {
      const { verifier } = setup('RS256', [{ kty: 'RSA', kid: 'k1', n: 'AQAB' }]);
      expect(await codeOf(verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k1' })))).toBe(
        'oidc_discovery_invalid',
      );
    });
  });

  describe('the JWKS cache: 300 s, one refetch per minute at most for an unknown key', () => {
    it('an unknown kid within 60 s of the fetch: refused without a fetch', async () => {
      const { verifier, op, clock } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      await verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k1' }));
      clock.now += 59_000;
      for (let i = 0; i < 5; i++) {
        const forged = await signed(rs2, { alg: 'RS256', kid: `forged-${i}` });
        expect(await codeOf(verifier.verify(forged))).toBe('oidc_key_not_found');
      }
      expect(op.fetches).toBe(1);
    });

    it('rotation: an unknown kid 60 s on refetches once and verifies; the next unknown kid does not refetch', async () => {
      const { verifier, op, clock } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      await verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k1' }));
      op.keys = [publicJwk(rs2, { kid: 'k2' }), publicJwk(rs, { kid: 'k1' })];
      clock.now += 60_000;
      expect(await codeOf(verifier.verify(await signed(rs2, { alg: 'RS256', kid: 'k2' })))).toBe(
        'accepted',
      );
      expect(op.fetches).toBe(2);
      expect(
        await codeOf(verifier.verify(await signed(rs2, { alg: 'RS256', kid: 'forged' }))),
      ).toBe('oidc_key_not_found');
      expect(op.fetches).toBe(2);
    });

    it('an unknown kid after the one refetch: refused, one fetch only', async () => {
      const { verifier, op, clock } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      await verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k1' }));
      clock.now += 120_000;
      expect(
        await codeOf(verifier.verify(await signed(rs2, { alg: 'RS256', kid: 'forged' }))),
      ).toBe('oidc_key_not_found');
      expect(op.fetches).toBe(2);
    });

    it('concurrent unknown kids share one refetch', async () => {
      const { verifier, op, clock } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      await verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k1' }));
      clock.now += 61_000;
      const forged = await Promise.all(
        Array.from({ length: 10 }, (_, i) => signed(rs2, { alg: 'RS256', kid: `f${i}` })),
      );
      const codes = await Promise.all(forged.map((t) => codeOf(verifier.verify(t))));
      expect(codes).toEqual(Array(10).fill('oidc_key_not_found'));
      expect(op.fetches).toBe(2);
    });

    it('a JWKS 300 s old is fetched again before use (a withdrawn key stops verifying)', async () => {
      const { verifier, op, clock } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      const token = await signed(rs, { alg: 'RS256', kid: 'k1' });
      await verifier.verify(token);
      clock.now += 299_000;
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      expect(op.fetches).toBe(1);
      op.keys = [publicJwk(rs2, { kid: 'k2' })];
      clock.now += 1_000;
      expect(await codeOf(verifier.verify(token))).toBe('oidc_key_not_found');
      expect(op.fetches).toBe(2);
    });

    it('concurrent first verifications share one fetch', async () => {
      const { verifier, op } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      const token = await signed(rs, { alg: 'RS256', kid: 'k1' });
      const codes = await Promise.all(
        Array.from({ length: 5 }, () => codeOf(verifier.verify(token))),
      );
      expect(codes).toEqual(Array(5).fill('accepted'));
      expect(op.fetches).toBe(1);
    });
  });

  describe('an IdP outage: the last good JWKS is kept, fetches back off', () => {
    const down = () => new Response('<html>down</html>', { status: 503 });
    /** A verifier that has fetched the JWKS once (k1), and the IdP's JWKS endpoint now down. */
    const afterOneFetch = async (extra: Partial<IdTokenSignatureVerifierOptions> = {}) => {
      const ctx = setup('RS256', [publicJwk(rs, { kid: 'k1' })], extra);
      const token = await signed(rs, { alg: 'RS256', kid: 'k1' });
      expect(await codeOf(ctx.verifier.verify(token))).toBe('accepted');
      ctx.op.respond = down;
      return { ...ctx, token, fetchedAt: ctx.clock.now };
    };

    it('a stale set is used when its refetch fails, until its lifetime (1 h) ends', async () => {
      const { verifier, op, clock, token, fetchedAt } = await afterOneFetch();
      clock.now = fetchedAt + 300_000; // due a refetch
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      expect(op.fetches).toBe(2); // one failed attempt
      clock.now = fetchedAt + JWKS_MAX_STALE_MS - 1;
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      clock.now = fetchedAt + JWKS_MAX_STALE_MS;
      expect(await codeOf(verifier.verify(token))).toBe('temporarily_unavailable');
    });

    it('maxStaleMs sets the lifetime (the client passes its discovery cache lifetime)', async () => {
      const { verifier, clock, token, fetchedAt } = await afterOneFetch({ maxStaleMs: 600_000 });
      clock.now = fetchedAt + 599_999;
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      clock.now = fetchedAt + 600_000 + JWKS_BACKOFF_MAX_MS;
      expect(await codeOf(verifier.verify(token))).toBe('temporarily_unavailable');
    });

    it('a broken answer (404, HTML) keeps the set too', async () => {
      const { verifier, op, clock, token, fetchedAt } = await afterOneFetch();
      op.respond = () => new Response('<html>maintenance</html>', { status: 200 });
      clock.now = fetchedAt + 300_000;
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      op.respond = () => new Response('gone', { status: 404 });
      clock.now += JWKS_BACKOFF_BASE_MS;
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      expect(op.fetches).toBe(3);
    });

    it('exponential back-off between attempts: 1 s, 2 s, 4 s … capped at 60 s; a success resets it', async () => {
      const { verifier, op, clock, token, fetchedAt } = await afterOneFetch();
      clock.now = fetchedAt + 300_000;
      expect(await codeOf(verifier.verify(token))).toBe('accepted'); // attempt 1 fails
      const waits: number[] = [];
      for (let attempt = 2; attempt <= 10; attempt++) {
        const before = op.fetches;
        let waited = 0;
        // Verify every 250 ms until an attempt is made; each verification still succeeds.
        while (op.fetches === before) {
          clock.now += 250;
          waited += 250;
          expect(await codeOf(verifier.verify(token))).toBe('accepted');
          if (waited > 2 * JWKS_BACKOFF_MAX_MS) throw new Error('no attempt made');
        }
        expect(op.fetches).toBe(before + 1);
        waits.push(waited);
      }
      expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
      expect(JWKS_BACKOFF_MAX_MS).toBe(60_000);

      // The IdP is back: the next attempt succeeds, and a later failure waits 1 s again.
      op.respond = undefined;
      clock.now += JWKS_BACKOFF_MAX_MS;
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      const recovered = op.fetches;
      op.respond = down;
      clock.now += 300_000;
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      expect(op.fetches).toBe(recovered + 1);
      clock.now += JWKS_BACKOFF_BASE_MS;
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      expect(op.fetches).toBe(recovered + 2);
    });

    it('an unknown kid while backing off: the outage error, without a fetch (its key may be new)', async () => {
      const { verifier, op, clock, token, fetchedAt } = await afterOneFetch();
      clock.now = fetchedAt + 300_000;
      expect(await codeOf(verifier.verify(token))).toBe('accepted'); // attempt fails
      const fetches = op.fetches;
      const rotated = await signed(rs2, { alg: 'RS256', kid: 'k2' });
      expect(await codeOf(verifier.verify(rotated))).toBe('temporarily_unavailable');
      expect(op.fetches).toBe(fetches);
      // Not backing off any more and the IdP back with its next key: refetched once, verified.
      op.respond = undefined;
      op.keys = [publicJwk(rs2, { kid: 'k2' }), publicJwk(rs, { kid: 'k1' })];
      clock.now += JWKS_BACKOFF_BASE_MS;
      expect(await codeOf(verifier.verify(rotated))).toBe('accepted');
      expect(op.fetches).toBe(fetches + 1);
    });

    it('an unknown kid refetches once when not backing off; if that fails, the kept set still verifies its keys', async () => {
      const { verifier, op, clock, token, fetchedAt } = await afterOneFetch();
      clock.now = fetchedAt + 61_000; // fresh set, past the unknown-kid rate limit
      const rotated = await signed(rs2, { alg: 'RS256', kid: 'k2' });
      expect(await codeOf(verifier.verify(rotated))).toBe('temporarily_unavailable');
      expect(op.fetches).toBe(2);
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      expect(op.fetches).toBe(2);
    });

    it('concurrent verifications during an outage make one attempt', async () => {
      const { verifier, op, clock, token, fetchedAt } = await afterOneFetch();
      clock.now = fetchedAt + 300_000;
      const codes = await Promise.all(
        Array.from({ length: 5 }, () => codeOf(verifier.verify(token))),
      );
      expect(codes).toEqual(Array(5).fill('accepted'));
      expect(op.fetches).toBe(2);
    });

    it('no kept set (a fresh container in an outage): refused while backing off, then tried again', async () => {
      const { verifier, op, clock } = setup('RS256', [publicJwk(rs, { kid: 'k1' })]);
      op.respond = down;
      const token = await signed(rs, { alg: 'RS256', kid: 'k1' });
      expect(await codeOf(verifier.verify(token))).toBe('temporarily_unavailable');
      expect(await codeOf(verifier.verify(token))).toBe('temporarily_unavailable');
      expect(op.fetches).toBe(1);
      clock.now += JWKS_BACKOFF_BASE_MS;
      expect(await codeOf(verifier.verify(token))).toBe('temporarily_unavailable');
      expect(op.fetches).toBe(2);
      clock.now += 2 * JWKS_BACKOFF_BASE_MS - 1;
      expect(await codeOf(verifier.verify(token))).toBe('temporarily_unavailable');
      expect(op.fetches).toBe(2);
    });
  });

  describe('fetching the JWKS', () => {
    const failing = async (
      respond: () => Response | Promise<Response>,
      extra: Partial<IdTokenSignatureVerifierOptions> & { maxResponseBytes?: number } = {},
    ) => {
      const { verifier, op, clock } = setup('RS256', [publicJwk(rs, { kid: 'k1' })], extra);
      op.respond = respond;
      const token = await signed(rs, { alg: 'RS256', kid: 'k1' });
      const code = await codeOf(verifier.verify(token));
      op.respond = undefined;
      const fetchesBefore = op.fetches;
      // Backing off: within the first second nothing is fetched, and the same error answers.
      clock.now += JWKS_BACKOFF_BASE_MS - 1;
      expect(await codeOf(verifier.verify(token))).toBe(code);
      expect(op.fetches).toBe(fetchesBefore);
      // A failure is not remembered as "no keys": after the back-off the next one fetches.
      clock.now += 1;
      expect(await codeOf(verifier.verify(token))).toBe('accepted');
      expect(op.fetches).toBe(fetchesBefore + 1);
      return { code, op };
    };

    it.each([
      ['503', 'temporarily_unavailable', () => new Response('<html>down</html>', { status: 503 })],
      ['429', 'temporarily_unavailable', () => new Response('slow down', { status: 429 })],
      ['404', 'oidc_discovery_invalid', () => new Response('nope', { status: 404 })],
      [
        'a redirect (not followed)',
        'oidc_discovery_invalid',
        () => new Response(null, { status: 302, headers: { location: 'https://evil.example/' } }),
      ],
      ['HTML', 'oidc_discovery_invalid', () => new Response('<html></html>', { status: 200 })],
      ['keys not an array', 'oidc_discovery_invalid', () => Response.json({ keys: {} })],
      [
        'a key that is not an object',
        'oidc_discovery_invalid',
        () => Response.json({ keys: ['k'] }),
      ],
      ['an array body', 'oidc_discovery_invalid', () => Response.json([])],
      [
        'a refused connection',
        'temporarily_unavailable',
        () => Promise.reject(new TypeError('fetch failed')),
      ],
    ] as const)(
      '%s: %s; the next verification after the back-off fetches again',
      async (_, expected, respond) => {
        const { code } = await failing(respond);
        expect(code).toBe(expected);
      },
    );

    it('past the deadline: temporarily_unavailable (the bounded fetch aborts it)', async () => {
      const { code } = await failing(() => new Promise<Response>(() => undefined));
      expect(code).toBe('temporarily_unavailable');
    });

    it('over the byte cap: oidc_response_too_large', async () => {
      const { code } = await failing(
        () => Response.json({ keys: [], padding: 'x'.repeat(10_000) }),
        { maxResponseBytes: 4096 },
      );
      expect(code).toBe('oidc_response_too_large');
    });

    it('asks for JSON, GET, without following redirects', async () => {
      const seen: RequestInit[] = [];
      const verifier = createIdTokenSignatureVerifier({
        jwksUri: JWKS_URI,
        alg: 'RS256',
        fetch: async (_url, init) => {
          seen.push(init as RequestInit);
          return Response.json({ keys: [publicJwk(rs, { kid: 'k1' })] });
        },
      });
      await verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k1' }));
      expect(seen).toMatchObject([
        {
          method: 'GET',
          redirect: 'manual',
          headers: { accept: 'application/json, application/jwk-set+json' },
        },
      ]);
    });

    it.each([
      ['missing', undefined, false],
      ['not a URL', 'jwks', false],
      ['http: for an https issuer', 'http://op.example/jwks', false],
      ['file:', 'file:///etc/passwd', true],
    ])('jwks_uri %s: oidc_discovery_invalid, nothing fetched', async (_, jwksUri, insecure) => {
      const { verifier, op } = setup('RS256', [publicJwk(rs, { kid: 'k1' })], {
        jwksUri,
        allowInsecureRequests: insecure,
      });
      const token = await signed(rs, { alg: 'RS256', kid: 'k1' });
      expect(await codeOf(verifier.verify(token))).toBe('oidc_discovery_invalid');
      expect(op.fetches).toBe(0);
    });

    it('http: jwks_uri when allowed (loopback issuers): fetched', async () => {
      const { verifier, op } = setup('RS256', [publicJwk(rs, { kid: 'k1' })], {
        jwksUri: 'http://127.0.0.1:9999/jwks',
        allowInsecureRequests: true,
      });
      expect(await codeOf(verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k1' })))).toBe(
        'accepted',
      );
      expect(op.urls).toEqual(['http://127.0.0.1:9999/jwks']);
    });
  });

  it('an alg fedgate does not implement cannot be pinned', () => {
    expect(() =>
      createIdTokenSignatureVerifier({
        jwksUri: JWKS_URI,
        alg: 'HS256' as IdTokenSigningAlg,
        fetch: async () => Response.json({ keys: [] }),
      }),
    ).toThrow(TypeError);
  });

  it('a JWK without kid is usable when it is the only candidate (oauth4webapi: kid optional)', async () => {
    const jwk: JsonWebKey = rs.publicKey.export({ format: 'jwk' });
    const { verifier } = setup('RS256', [jwk as Record<string, unknown>]);
    expect(await codeOf(verifier.verify(await signed(rs, { alg: 'RS256', kid: 'k1' })))).toBe(
      'oidc_key_not_found',
    );
    expect(await codeOf(verifier.verify(await signed(rs, { alg: 'RS256' })))).toBe('accepted');
  });
});
