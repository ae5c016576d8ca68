import { createPublicKey, generateKeyPairSync, sign as rsaSign, verify } from 'node:crypto';
import fc from 'fast-check';
import { createLocalJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DependencyUnavailableError } from '../../../shared/http/errors.js';
import {
  createLocalSigningKeys,
  type LocalKeyMaterial,
  type Signer,
  type SigningKeys,
} from '../../../shared/issuer/index.js';
import { buildJwks } from '../../../shared/issuer/oidc-discovery.js';
import {
  buildRoleBoundSubject,
  checkIssuerUrl,
  checkRoleBindable,
  createWebIdentityMinter,
  MAX_WEB_IDENTITY_TOKEN_LENGTH,
  roleBoundSubjectPattern,
  type WebIdentityGrant,
  type WebIdentityMinterOptions,
  type WebIdentityMintInput,
} from '../../../shared/issuer/web-identity-token.js';
import { NOW, testKeyMaterials } from '../../support/issuer/fixtures.js';

const ISSUER = 'https://sso.example.com';
const AUDIENCE = 'fedgate-aws';
/** An opaque subject, as a caller derives it from IdP + subject (base64url of a hash). */
const SUBJECT = 'p2V1zQ8yXc4m0aLr9tB3kw';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/platform/Developer';
const IAT = Math.floor(NOW / 1000);
const TAGS = 'https://aws.amazon.com/tags';
const SOURCE_IDENTITY = 'https://aws.amazon.com/source_identity';

/** A grant as the mapping engine issues it: tags, transitive keys and a source identity. */
const sampleGrant = (overrides: Partial<WebIdentityGrant> = {}): WebIdentityGrant => ({
  roleArn: ROLE_ARN,
  sessionName: 'jane.doe@example.com',
  sourceIdentity: 'jdoe',
  durationSeconds: 3600,
  tags: [
    { key: 'team', value: 'platform' },
    { key: 'costCenter', value: 'cc-4711' },
    { key: 'department', value: 'Platform Engineering' },
  ],
  transitiveTagKeys: ['team', 'costCenter'],
  ...overrides,
});

let active: LocalKeyMaterial;
let next: LocalKeyMaterial;
let signingKeys: SigningKeys;
beforeAll(async () => {
  [active, next] = await testKeyMaterials();
  signingKeys = createLocalSigningKeys({ keys: [active, next] });
});

const minter = (opts: Partial<WebIdentityMinterOptions> = {}) =>
  createWebIdentityMinter({ signingKeys, issuer: ISSUER, audience: AUDIENCE, ...opts });
const mintInput = (overrides: Partial<WebIdentityMintInput> = {}): WebIdentityMintInput => ({
  grant: sampleGrant(),
  subject: SUBJECT,
  now: NOW,
  ...overrides,
});
const mint = (overrides: Partial<WebIdentityMintInput> = {}) => minter().mint(mintInput(overrides));

/** A spy over a real signer: counts calls, and answers only after a macrotask (like KMS). */
const spySigningKeys = (inner: () => Promise<Signer>) => {
  const sign = vi.fn(async (data: Buffer) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return (await inner()).sign(data);
  });
  const keys: SigningKeys = {
    active: async () => ({ ...(await inner()), sign }),
    published: () => signingKeys.published(),
  };
  return { keys, sign };
};

/** The three parts of a compact JWS, the first two decoded (structure only: signatures below). */
const read = (token: string) => {
  const parts = token.split('.');
  expect(parts).toHaveLength(3);
  const [h, p, s] = parts as [string, string, string];
  for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>,
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
};

const verifyWithJose = async (token: string, keys = signingKeys) =>
  jwtVerify(token, createLocalJWKSet(buildJwks(await keys.published())), {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256'],
    typ: 'JWT',
    currentDate: new Date(NOW),
    requiredClaims: ['iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'jti'],
  });

describe('createWebIdentityMinter: the minted token', () => {
  it('is a JWS with exactly the header and claims STS reads', async () => {
    const minted = await mint();
    const { header, claims } = read(minted.token);
    const { kid } = await signingKeys.active();
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid });
    expect(claims).toEqual({
      iss: ISSUER,
      sub: `${ROLE_ARN}#${SUBJECT}`,
      aud: AUDIENCE,
      iat: IAT,
      nbf: IAT,
      exp: IAT + 300,
      jti: minted.jti,
      [TAGS]: {
        principal_tags: {
          team: ['platform'],
          costCenter: ['cc-4711'],
          department: ['Platform Engineering'],
        },
        transitive_tag_keys: ['team', 'costCenter'],
      },
      [SOURCE_IDENTITY]: 'jdoe',
    });
    expect(minted.expiresAt).toBe((IAT + 300) * 1000);
    expect(minted.token.length).toBeLessThanOrEqual(MAX_WEB_IDENTITY_TOKEN_LENGTH);
  });

  it('writes iat, nbf and exp as whole seconds (the milliseconds of now are cut)', async () => {
    expect(NOW % 1000).not.toBe(0);
    const { claims } = read((await mint()).token);
    for (const name of ['iat', 'nbf', 'exp']) expect(Number.isInteger(claims[name])).toBe(true);
    // Integers in the JSON text itself, not 1772366400.0 or an exponent.
    const payload = read((await mint()).token).signingInput.split('.')[1] as string;
    expect(Buffer.from(payload, 'base64url').toString('utf8')).toContain(`"iat":${IAT},`);
  });

  it('gives every token a fresh 128-bit jti, base64url', async () => {
    const jtis = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { jti, token } = await mint();
      expect(jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(jti, 'base64url')).toHaveLength(16);
      expect(read(token).claims.jti).toBe(jti);
      jtis.add(jti);
    }
    expect(jtis.size).toBe(20);
  });

  it('omits the tags claim when the grant has no tags, and source identity when it has none', async () => {
    const grant = sampleGrant({ tags: [], transitiveTagKeys: [] });
    delete (grant as { sourceIdentity?: string }).sourceIdentity;
    const { claims } = read((await mint({ grant })).token);
    expect(Object.keys(claims)).toEqual(['iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'jti']);
  });

  it('omits transitive_tag_keys when no tag is transitive', async () => {
    const { claims } = read((await mint({ grant: sampleGrant({ transitiveTagKeys: [] }) })).token);
    expect(claims[TAGS]).toEqual({
      principal_tags: {
        team: ['platform'],
        costCenter: ['cc-4711'],
        department: ['Platform Engineering'],
      },
    });
  });

  it('puts tag keys and values from the whole tag charset in literally, each value a list of one', async () => {
    const tags = [
      { key: 'name', value: 'Zoë Ångström 中文 𝒜' },
      { key: 'separators', value: 'a\u00a0b\u2028c\u3000d' },
      { key: 'symbols', value: '_.:/=+-@ 0123' },
      { key: 'schlüssel/ü:1', value: '' },
      // Inside AWS's charset: must stay a key, not become the object's prototype.
      { key: '__proto__', value: 'x' },
    ];
    const grant = sampleGrant({ tags, transitiveTagKeys: ['__proto__'] });
    const { claims } = read((await mint({ grant })).token);
    const claim = claims[TAGS] as { principal_tags: Record<string, string[]> };
    expect(Object.entries(claim.principal_tags)).toEqual(tags.map((t) => [t.key, [t.value]]));
    expect(claim).toMatchObject({ transitive_tag_keys: ['__proto__'] });
  });

  it('keeps the lifetime at most an hour: 1..3600 seconds, default 300', async () => {
    const max = await mint({ lifetimeSeconds: 3600 });
    expect(read(max.token).claims.exp).toBe(IAT + 3600);
    expect(max.expiresAt).toBe((IAT + 3600) * 1000);
    expect(read((await mint({ lifetimeSeconds: 1 })).token).claims.exp).toBe(IAT + 1);
    for (const lifetimeSeconds of [0, 3601, 86_400, 1.5, -1, Number.NaN]) {
      await expect(mint({ lifetimeSeconds })).rejects.toMatchObject({ code: 'mint_invalid_value' });
    }
  });

  it.each([
    ['epoch seconds', IAT],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('refuses now given as %s (it takes epoch milliseconds)', async (_, now) => {
    await expect(mint({ now })).rejects.toMatchObject({ code: 'mint_invalid_value' });
  });
});

describe('createWebIdentityMinter: signature and keys', () => {
  it('verifies with jose against the published JWKS (issuer, audience, RS256, typ, times)', async () => {
    const minted = await mint();
    const { payload, protectedHeader } = await verifyWithJose(minted.token);
    expect(protectedHeader).toEqual({
      alg: 'RS256',
      typ: 'JWT',
      kid: (await signingKeys.active()).kid,
    });
    expect(payload).toMatchObject({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: `${ROLE_ARN}#${SUBJECT}`,
      jti: minted.jti,
    });
  });

  it('gets the signature from signer.sign over the JWS signing input, once per mint', async () => {
    const { keys, sign } = spySigningKeys(() => signingKeys.active());
    const { token } = await createWebIdentityMinter({
      signingKeys: keys,
      issuer: ISSUER,
      audience: AUDIENCE,
    }).mint(mintInput());
    expect(sign).toHaveBeenCalledTimes(1);
    const signed = sign.mock.calls[0]?.[0] as Buffer;
    const jws = read(token);
    // RFC 7515 §5.1: ASCII(BASE64URL(header) || '.' || BASE64URL(payload)).
    expect(signed.toString('ascii')).toBe(jws.signingInput);
    const publicKey = createPublicKey(active.privateKeyPem);
    expect(verify('sha256', signed, publicKey, jws.signature)).toBe(true);
    expect(jws.signature).toHaveLength(256);
  });

  it('rotation: the JWKS carries both keys, and a token from whichever key is active verifies', async () => {
    const jwks = buildJwks(await signingKeys.published());
    expect(jwks.keys).toHaveLength(2);
    const rotated = createLocalSigningKeys({ keys: [next, active] });
    const fromActive = await mint();
    const fromNext = await createWebIdentityMinter({
      signingKeys: rotated,
      issuer: ISSUER,
      audience: AUDIENCE,
    }).mint(mintInput());
    expect(read(fromActive.token).header.kid).toBe(jwks.keys[0]?.kid);
    expect(read(fromNext.token).header.kid).toBe(jwks.keys[1]?.kid);
    for (const { token } of [fromActive, fromNext]) {
      await expect(verifyWithJose(token)).resolves.toBeDefined();
    }
    // A JWKS that lost the signing key verifies nothing.
    const onlyActive = createLocalSigningKeys({ keys: [active] });
    await expect(verifyWithJose(fromNext.token, onlyActive)).rejects.toBeInstanceOf(
      joseErrors.JWKSNoMatchingKey,
    );
  });

  it('does not verify once a byte of the payload changes', async () => {
    const { token } = await mint();
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    claims[TAGS].principal_tags.team = ['admins'];
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    await expect(verifyWithJose(forged)).rejects.toBeInstanceOf(
      joseErrors.JWSSignatureVerificationFailed,
    );
  });

  it('passes the key service’s error through and emits nothing', async () => {
    const keys: SigningKeys = {
      active: async () => ({
        ...(await signingKeys.active()),
        sign: async () => {
          throw new DependencyUnavailableError('kms', 'ThrottlingException');
        },
      }),
      published: () => signingKeys.published(),
    };
    await expect(
      createWebIdentityMinter({ signingKeys: keys, issuer: ISSUER, audience: AUDIENCE }).mint(
        mintInput(),
      ),
    ).rejects.toMatchObject({ code: 'temporarily_unavailable' });
  });

  it('refuses a signer whose signature does not verify with its public key', async () => {
    const wrong = await createLocalSigningKeys({ keys: [next] }).active();
    const keys: SigningKeys = {
      active: async () => ({ ...(await signingKeys.active()), sign: (data) => wrong.sign(data) }),
      published: () => signingKeys.published(),
    };
    await expect(
      createWebIdentityMinter({ signingKeys: keys, issuer: ISSUER, audience: AUDIENCE }).mint(
        mintInput(),
      ),
    ).rejects.toMatchObject({ code: 'issuer_misconfigured' });
  });

  const handBuiltSigner = (kid: string, type: 'rsa' | 'ec', modulusLength = 2048): SigningKeys => {
    const pair =
      type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer: Signer = {
      kid,
      publicKeySpki: pair.publicKey.export({ type: 'spki', format: 'der' }),
      certificatePem: active.certificatePem,
      sign: vi.fn(async (data: Buffer) => rsaSign('sha256', data, pair.privateKey)),
    };
    return { active: async () => signer, published: async () => [signer] };
  };

  it.each([
    ['an EC key (RS256 needs RSA)', () => handBuiltSigner('k1', 'ec')],
    ['an RSA key under 2048 bits', () => handBuiltSigner('k1', 'rsa', 1024)],
    ['an empty kid', () => handBuiltSigner('', 'rsa')],
    ['a kid with a space', () => handBuiltSigner('k 1', 'rsa')],
    [
      'a public key that does not parse',
      (): SigningKeys => {
        const signer: Signer = {
          kid: 'k1',
          publicKeySpki: Buffer.from('not a key'),
          certificatePem: '',
          sign: vi.fn(async () => Buffer.alloc(0)),
        };
        return { active: async () => signer, published: async () => [] };
      },
    ],
  ])('refuses an active key with %s (issuer_misconfigured), before signing', async (_, make) => {
    const keys = make();
    const signer = await keys.active();
    await expect(
      createWebIdentityMinter({ signingKeys: keys, issuer: ISSUER, audience: AUDIENCE }).mint(
        mintInput(),
      ),
    ).rejects.toMatchObject({ code: 'issuer_misconfigured' });
    expect(vi.isMockFunction(signer.sign)).toBe(true);
    expect(signer.sign).not.toHaveBeenCalled();
  });
});

describe('createWebIdentityMinter: values are refused before signing (defence in depth)', () => {
  /**
   * Grants built by hand, bypassing the mapping engine: each breaks one of AWS's rules and must be
   * refused before anything is signed.
   */
  const refused: [string, Partial<WebIdentityGrant>][] = [
    ['a tag value with ","', { tags: [{ key: 'team', value: 'a,b' }] }],
    ['a tag value with a quote', { tags: [{ key: 'team', value: 'a"b' }] }],
    ['a tag value with a backslash', { tags: [{ key: 'team', value: 'a\\b' }] }],
    ['a tag value with a newline', { tags: [{ key: 'team', value: 'a\nb' }] }],
    ['a tag value with NUL', { tags: [{ key: 'team', value: 'a\u0000b' }] }],
    ['a tag value with a lone surrogate', { tags: [{ key: 'team', value: 'a\ud800b' }] }],
    ['a tag value over 256 characters', { tags: [{ key: 'team', value: 'a'.repeat(257) }] }],
    ['a tag key with a quote', { tags: [{ key: 'team"', value: 'a' }] }],
    ['a tag key starting with aws:', { tags: [{ key: 'aws:team', value: 'a' }] }],
    ['a tag key over 128 characters', { tags: [{ key: 'k'.repeat(129), value: 'a' }] }],
    ['an empty tag key', { tags: [{ key: '', value: 'a' }] }],
    [
      'tag keys repeated ignoring case',
      {
        tags: [
          { key: 'Team', value: 'a' },
          { key: 'team', value: 'b' },
        ],
        transitiveTagKeys: [],
      },
    ],
    [
      '51 tags',
      {
        tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
        transitiveTagKeys: [],
      },
    ],
    ['a transitive key without a tag', { transitiveTagKeys: ['team', 'other'] }],
    ['a transitive key in another case', { transitiveTagKeys: ['Team'] }],
    ['a transitive key repeated', { transitiveTagKeys: ['team', 'team'] }],
    ['a session name with a space', { sessionName: 'jane doe' }],
    ['a session name with a quote', { sessionName: 'jane"doe' }],
    ['a session name with a slash', { sessionName: 'jane/doe' }],
    ['a one-character session name', { sessionName: 'j' }],
    ['a session name over 64 characters', { sessionName: 'j'.repeat(65) }],
    ['a source identity with an apostrophe', { sourceIdentity: "o'brien" }],
    ['a source identity with aws:', { sourceIdentity: 'aws:jdoe' }],
    ['a one-character source identity', { sourceIdentity: 'j' }],
    ['a duration under 900 seconds', { durationSeconds: 899 }],
    ['a duration over 12 hours', { durationSeconds: 43_201 }],
    ['a fractional duration', { durationSeconds: 3600.5 }],
  ];

  it.each(refused)('refuses %s with mint_invalid_value, without signing', async (_, override) => {
    const { keys, sign } = spySigningKeys(() => signingKeys.active());
    const minting = createWebIdentityMinter({
      signingKeys: keys,
      issuer: ISSUER,
      audience: AUDIENCE,
    }).mint(mintInput({ grant: sampleGrant(override) }));
    await expect(minting).rejects.toMatchObject({
      code: 'mint_invalid_value',
      status: 500,
      expose: false,
    });
    expect(sign).not.toHaveBeenCalled();
  });

  it('names fields, never values, in the log detail', async () => {
    const secretish = 'x'.repeat(300);
    await expect(
      mint({ grant: sampleGrant({ tags: [{ key: 'team', value: secretish }] }) }),
    ).rejects.toSatisfy(
      (err: { detail?: string }) =>
        typeof err.detail === 'string' &&
        err.detail.includes('tags[0].value') &&
        !err.detail.includes(secretish),
    );
  });

  it.each([
    ['an empty subject', ''],
    ['a subject with a space', 'jane doe'],
    ['a subject with NUL', 'jane\u0000'],
    ['a subject with non-ASCII', 'jané'],
  ])('refuses %s', async (_, subject) => {
    await expect(mint({ subject })).rejects.toMatchObject({ code: 'mint_invalid_value' });
  });

  it('takes a role-bound sub of 255 characters and refuses 256 (STS SubjectFromWebIdentityToken)', async () => {
    const fits = 'a'.repeat(255 - ROLE_ARN.length - 1);
    expect(read((await mint({ subject: fits })).token).claims.sub).toHaveLength(255);
    const { keys, sign } = spySigningKeys(() => signingKeys.active());
    await expect(
      createWebIdentityMinter({ signingKeys: keys, issuer: ISSUER, audience: AUDIENCE }).mint(
        mintInput({ subject: `${fits}a` }),
      ),
    ).rejects.toMatchObject({ code: 'mint_invalid_value' });
    expect(sign).not.toHaveBeenCalled();
  });
});

/**
 * IAM's StringLike, written here from its documentation (not fedgate's code): `*` is any run of
 * characters, `?` one character, everything else literal and case-sensitive, the whole value.
 */
const iamStringLike = (value: string, pattern: string): boolean =>
  new RegExp(
    `^${[...pattern]
      .map((c) =>
        c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')}$`,
  ).test(value);

describe("createWebIdentityMinter: the token is bound to the grant's role", () => {
  it('puts the role into the sub, so one person gets a different sub per role', async () => {
    const other = 'arn:aws:iam::444455556666:role/Admin';
    const a = read((await mint()).token).claims.sub;
    const b = read((await mint({ grant: sampleGrant({ roleArn: other }) })).token).claims.sub;
    expect(a).toBe(buildRoleBoundSubject(ROLE_ARN, SUBJECT));
    expect(b).toBe(`${other}#${SUBJECT}`);
  });

  it.each([
    ['a path holding the separator #', 'arn:aws:iam::111122223333:role/dev#/Admin'],
    ['a path holding the wildcard *', 'arn:aws:iam::111122223333:role/*/Admin'],
    ['a path holding the wildcard ?', 'arn:aws:iam::111122223333:role/a?/Admin'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
    ['a path holding a policy variable', 'arn:aws:iam::111122223333:role/${aws:username}/Admin'],
    ['an Identity Center role', 'arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123'],
    ['a role ARN with a comma', 'arn:aws:iam::111122223333:role/a,b'],
    ['not a role ARN', 'arn:aws:iam::111122223333:user/Admin'],
  ])('refuses %s with mint_invalid_value, without signing', async (_, roleArn) => {
    expect(checkRoleBindable(roleArn)).toBeTypeOf('string');
    const { keys, sign } = spySigningKeys(() => signingKeys.active());
    await expect(
      createWebIdentityMinter({ signingKeys: keys, issuer: ISSUER, audience: AUDIENCE }).mint(
        mintInput({ grant: sampleGrant({ roleArn }) }),
      ),
    ).rejects.toMatchObject({ code: 'mint_invalid_value' });
    expect(sign).not.toHaveBeenCalled();
  });

  it('takes role paths with other punctuation IAM allows', () => {
    expect(checkRoleBindable('arn:aws:iam::111122223333:role/a!b%c&d/e~f/Admin')).toBeUndefined();
  });

  /** Role ARNs fedgate can bind: partitions, paths from IAM's path charset, names from IAM's. */
  const bindableRoleArn = fc
    .record({
      partition: fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'),
      account: fc.constantFrom('111111111111', '222222222222'),
      path: fc.array(
        fc.stringMatching(/^[\x21-\x7e]{1,8}$/).filter((p) => !/[/#*?$]/.test(p)),
        { maxLength: 3 },
      ),
      name: fc.stringMatching(/^[\w+=,.@-]{1,12}$/).filter((n) => !n.includes(',')),
    })
    .map(
      ({ partition, account, path, name }) =>
        `arn:${partition}:iam::${account}:role/${path.map((p) => `${p}/`).join('')}${name}`,
    )
    .filter((arn) => checkRoleBindable(arn) === undefined);
  const personRef = fc.stringMatching(/^[\x21-\x7e]{1,20}$/);

  it("a token minted for role B matches role A's trust pattern exactly when A = B (property)", () => {
    fc.assert(
      fc.property(bindableRoleArn, bindableRoleArn, personRef, (a, b, person) => {
        const matches = iamStringLike(buildRoleBoundSubject(b, person), roleBoundSubjectPattern(a));
        expect(matches).toBe(a === b);
      }),
      { numRuns: 500 },
    );
  });

  it("also when B extends A's ARN (a role under a path named like A)", () => {
    const a = 'arn:aws:iam::111111111111:role/dev';
    for (const b of [`${a}/x`, `${a}-x`, `${a}x`, 'arn:aws:iam::111111111111:role/dev/dev']) {
      expect(iamStringLike(buildRoleBoundSubject(b, 'p'), roleBoundSubjectPattern(a))).toBe(false);
    }
    expect(iamStringLike(buildRoleBoundSubject(a, 'p#q*'), roleBoundSubjectPattern(a))).toBe(true);
  });
});

describe('createWebIdentityMinter: size', () => {
  /** n distinct tags: keys of `keyLength` and values of 256 characters, ASCII. */
  const wideTags = (n: number, keyLength: number) =>
    Array.from({ length: n }, (_, i) => ({
      key: `${'k'.repeat(keyLength - 2)}${String(i).padStart(2, '0')}`,
      value: 'v'.repeat(256),
    }));

  it('mints a large tag set within 20,000 characters', async () => {
    const tags = wideTags(50, 16);
    const { token } = await mint({ grant: sampleGrant({ tags, transitiveTagKeys: [] }) });
    expect(token.length).toBeLessThanOrEqual(MAX_WEB_IDENTITY_TOKEN_LENGTH);
    expect(token.length).toBeGreaterThan(18_000);
  });

  it('refuses a token over 20,000 characters (mint_too_large) without signing', async () => {
    // 50 tags within AWS's per-tag limits still overflow the token: the packed limit is STS's.
    const tags = wideTags(50, 128);
    const { keys, sign } = spySigningKeys(() => signingKeys.active());
    await expect(
      createWebIdentityMinter({ signingKeys: keys, issuer: ISSUER, audience: AUDIENCE }).mint(
        mintInput({ grant: sampleGrant({ tags, transitiveTagKeys: [] }) }),
      ),
    ).rejects.toMatchObject({ code: 'mint_too_large', status: 500 });
    expect(sign).not.toHaveBeenCalled();
  });

  it('counts the bytes of non-ASCII values, not their characters', async () => {
    // 40 × 256 three-byte characters: ~41 KB of JSON, far over 20,000 base64url characters.
    const tags = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: '値'.repeat(256) }));
    await expect(
      mint({ grant: sampleGrant({ tags, transitiveTagKeys: [] }) }),
    ).rejects.toMatchObject({ code: 'mint_too_large' });
  });
});

describe('createWebIdentityMinter: options', () => {
  it.each([
    'https://sso.example.com',
    'https://sso.example.com/fedgate',
    'https://sso.example.com/tenants/a',
    'http://127.0.0.1:8787',
    'http://localhost:8787',
    'http://localhost',
  ])('takes the issuer %s', (issuer) => {
    expect(checkIssuerUrl(issuer)).toBeUndefined();
    expect(() => minter({ issuer })).not.toThrow();
  });

  it.each([
    ['http on a public host', 'http://sso.example.com'],
    ['http on another loopback spelling', 'http://[::1]:8787'],
    ['a trailing slash', 'https://sso.example.com/'],
    ['a trailing slash after a path', 'https://sso.example.com/fedgate/'],
    ['a port', 'https://sso.example.com:8443'],
    ['the default port spelled out', 'https://sso.example.com:443'],
    ['an upper-case host', 'https://SSO.example.com'],
    ['a query', 'https://sso.example.com?tenant=a'],
    ['an empty query', 'https://sso.example.com?'],
    ['a fragment', 'https://sso.example.com#a'],
    ['user info', 'https://user@sso.example.com'],
    ['a dot segment', 'https://sso.example.com/a/../b'],
    ['whitespace', 'https://sso.example.com/a b'],
    ['no scheme', 'sso.example.com'],
    ['another scheme', 'urn:fedgate'],
    ['an empty string', ''],
    ['over 255 characters', `https://sso.example.com/${'a'.repeat(232)}`],
  ])('refuses an issuer with %s (issuer_misconfigured)', (_, issuer) => {
    expect(checkIssuerUrl(issuer)).toEqual(expect.any(String));
    expect(() => minter({ issuer })).toThrow(
      expect.objectContaining({ code: 'issuer_misconfigured' }),
    );
  });

  it.each([
    ['empty', ''],
    ['with a space', 'fedgate aws'],
    ['with non-ASCII', 'fédgate'],
    ['over 255 characters', 'a'.repeat(256)],
  ])('refuses an audience %s (issuer_misconfigured)', (_, audience) => {
    expect(() => minter({ audience })).toThrow(
      expect.objectContaining({ code: 'issuer_misconfigured' }),
    );
  });

  it('takes sts.amazonaws.com and a 255-character client id as the audience', async () => {
    for (const audience of ['sts.amazonaws.com', 'a'.repeat(255)]) {
      const { token } = await minter({ audience }).mint(mintInput());
      expect(read(token).claims.aud).toBe(audience);
    }
  });
});
