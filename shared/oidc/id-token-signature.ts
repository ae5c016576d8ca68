import {
  constants,
  createPublicKey,
  type KeyObject,
  type VerifyKeyObjectInput,
  type VerifyPublicKeyInput,
  verify,
} from 'node:crypto';
import type { CustomFetch } from 'openid-client';
import { type Clock, systemClock } from '../clock.js';
import { DependencyUnavailableError, GatewayError } from '../http/errors.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from './bounded-fetch.js';
import { findDuplicateMember } from './duplicate-members.js';
import {
  OidcAlgorithmNotAllowedError,
  OidcIdTokenInvalidError,
  OidcIdTokenTypInvalidError,
  OidcKeyNotFoundError,
  OidcSignatureInvalidError,
  OidcUpstreamInvalidError,
} from './errors.js';

/** The JWS algorithms an IdP's ID token may be pinned to (RFC 7518 §3, RFC 8037, RFC 9864). */
export type IdTokenSigningAlg =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519';

/** oauth4webapi's freshness rules, kept: a JWKS older than this is fetched again before use. */
export const JWKS_MAX_AGE_MS = 300_000;

/** An unknown key refetches the JWKS only when the cached one is at least this old (rate limit). */
export const JWKS_REFETCH_AFTER_MS = 60_000;

/**
 * How long after its fetch the last good JWKS is still used while refetching it fails (an IdP
 * outage): by default one hour, the discovery cache's lifetime (the client passes its own), so a
 * key set is never trusted longer than the configuration it was discovered with.
 */
export const JWKS_MAX_STALE_MS = 3_600_000;

/** The wait after the first failed JWKS fetch; it doubles with each further failure… */
export const JWKS_BACKOFF_BASE_MS = 1_000;

/** …up to this (the unknown-key rate limit: an outage costs the IdP one fetch a minute). */
export const JWKS_BACKOFF_MAX_MS = 60_000;

interface AlgorithmSpec {
  /** The JWK `kty` a key must have (oauth4webapi: by the alg's first two letters). */
  kty: 'RSA' | 'EC' | 'OKP';
  /** The JWK `crv` a key must have, for EC and OKP. */
  crv?: string;
  /** node:crypto's digest name; null for Ed25519 (the hash is part of the scheme). */
  digest: string | null;
  /** node:crypto's `asymmetricKeyType` of the imported key. */
  keyType: 'rsa' | 'ec' | 'ed25519';
  /** The exact signature length in bytes, when fixed by the alg (ECDSA P1363, Ed25519). */
  signatureBytes?: number;
  /** The verify input for a key: padding and salt length for RSA, P1363 encoding for ECDSA. */
  input: (key: KeyObject) => VerifyKeyObjectInput | VerifyPublicKeyInput;
}

const pkcs1 = (key: KeyObject) => ({ key, padding: constants.RSA_PKCS1_PADDING });
// RFC 7518 §3.5: the PSS salt is as long as the hash output (RSA_PSS_SALTLEN_DIGEST), never
// auto-detected from the signature as node:crypto's default would.
const pss = (key: KeyObject) => ({
  key,
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
});
// RFC 7518 §3.4: R || S, each as long as the curve order, not DER.
const p1363 = (key: KeyObject) => ({ key, dsaEncoding: 'ieee-p1363' as const });
const plain = (key: KeyObject) => ({ key });
const ED25519: AlgorithmSpec = {
  kty: 'OKP',
  crv: 'Ed25519',
  digest: null,
  keyType: 'ed25519',
  signatureBytes: 64,
  input: plain,
};

const ALGORITHMS: Readonly<Record<IdTokenSigningAlg, AlgorithmSpec>> = {
  RS256: { kty: 'RSA', digest: 'sha256', keyType: 'rsa', input: pkcs1 },
  RS384: { kty: 'RSA', digest: 'sha384', keyType: 'rsa', input: pkcs1 },
  RS512: { kty: 'RSA', digest: 'sha512', keyType: 'rsa', input: pkcs1 },
  PS256: { kty: 'RSA', digest: 'sha256', keyType: 'rsa', input: pss },
  PS384: { kty: 'RSA', digest: 'sha384', keyType: 'rsa', input: pss },
  PS512: { kty: 'RSA', digest: 'sha512', keyType: 'rsa', input: pss },
  ES256: {
    kty: 'EC',
    crv: 'P-256',
    digest: 'sha256',
    keyType: 'ec',
    signatureBytes: 64,
    input: p1363,
  },
  ES384: {
    kty: 'EC',
    crv: 'P-384',
    digest: 'sha384',
    keyType: 'ec',
    signatureBytes: 96,
    input: p1363,
  },
  ES512: {
    kty: 'EC',
    crv: 'P-521',
    digest: 'sha512',
    keyType: 'ec',
    signatureBytes: 132,
    input: p1363,
  },
  // RFC 8037's name and RFC 9864's fully specified one: the same Ed25519 check.
  EdDSA: ED25519,
  Ed25519: ED25519,
};

/** oauth4webapi refuses RSA keys under 2048 bits (checkRsaKeyAlgorithm); so does fedgate. */
const MIN_RSA_BITS = 2048;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

type Jwk = Record<string, unknown>;

/** A JWK's node:crypto verify input, built once per JWK (one verifier checks one alg). */
interface VerificationKey {
  kid: string | undefined;
  input: VerifyKeyObjectInput | VerifyPublicKeyInput;
}

/** One fetched JWKS: its keys, when it was fetched, and the KeyObjects built from it so far. */
interface JwksSnapshot {
  keys: readonly Jwk[];
  /** Epoch milliseconds of the fetch. */
  fetchedAt: number;
  imported: Map<Jwk, VerificationKey>;
}

/** What {@link createIdTokenSignatureVerifier} needs to know of one IdP. */
export interface IdTokenSignatureVerifierOptions {
  /** The discovered `jwks_uri` (validated at first use: absent or not https is refused). */
  jwksUri: unknown;
  /** The IdP's pinned `idTokenSignedResponseAlg`: the only `alg` accepted. */
  alg: IdTokenSigningAlg;
  /** The client's bounded fetch (deadline and byte cap), as for every other IdP request. */
  fetch: CustomFetch;
  /** `http:` jwks_uri allowed (loopback issuers only: the local runner and tests). */
  allowInsecureRequests?: boolean;
  /** Longest compact ID token accepted, in characters (default 128 KiB, the response cap). */
  maxTokenChars?: number;
  /**
   * How long after its fetch the last good JWKS may be used while refetching fails (default
   * {@link JWKS_MAX_STALE_MS}; never less than {@link JWKS_MAX_AGE_MS}).
   */
  maxStaleMs?: number;
  /** The clock (shared/clock.ts), read at each call so fake clocks apply. */
  clock?: Clock;
}

/** One IdP's ID token signature check, with its JWKS cache. */
export interface IdTokenSignatureVerifier {
  /**
   * Verifies the compact JWS's signature with the IdP's key: `alg` the pinned one, no `crit`,
   * `typ` absent or `JWT`, the key chosen from the IdP's JWKS by `kid`/`kty`/`alg`/`use`/
   * `key_ops`/`crv`. Header `jwk`, `jku`, `x5u` and `x5c` are never read. Resolves with nothing;
   * claims are not checked here (id-token-claims.ts).
   * @throws oidc_id_token_invalid (not a compact JWS, over the size cap, a bad header, `crit`, a member name twice in the header or payload),
   * oidc_id_token_typ_invalid (`typ` present and not `JWT`), oidc_algorithm_not_allowed, oidc_key_not_found, oidc_signature_invalid; for the JWKS fetch
   * oidc_response_too_large / oidc_discovery_invalid (502) or temporarily_unavailable (503).
   */
  verify(idToken: string): Promise<void>;
}

/** A header or JWK `kid` for the log detail: quoted, at most 64 characters (it is the sender's). */
const kidName = (kid: string | undefined): string =>
  kid === undefined ? '(no kid)' : JSON.stringify(kid.length > 64 ? `${kid.slice(0, 64)}…` : kid);

/**
 * Whether a header `typ` says "a plain JWT". RFC 7515 §4.1.9: `typ` is a media type, compared
 * case-insensitively, with `application/` implied when the value has no `/`; so `JWT`, `jwt` and
 * `application/jwt` are the same type (jose's normalizeTyp reads it the same way).
 */
export const isPlainJwtTyp = (typ: unknown): boolean => {
  if (typeof typ !== 'string') return false;
  const lower = typ.toLowerCase();
  return lower === 'jwt' || lower === 'application/jwt';
};

const isObject = (v: unknown): v is Jwk => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The header of a compact JWS, split strictly: 3 base64url parts (only the signature may be
 * empty), size capped, header and payload JSON with no member name twice in one object.
 */
const parseCompact = (
  jws: unknown,
  maxChars: number,
): { header: Jwk; signingInput: string; signature: string } => {
  if (typeof jws !== 'string') throw new OidcIdTokenInvalidError('the ID token is not a string');
  if (jws.length > maxChars) {
    throw new OidcIdTokenInvalidError(`the ID token is over ${maxChars} characters`);
  }
  const first = jws.indexOf('.');
  const second = first < 0 ? -1 : jws.indexOf('.', first + 1);
  if (second < 0 || jws.indexOf('.', second + 1) >= 0) {
    // 5 parts would be a JWE: fedgate registers no encryption key, so none is expected.
    throw new OidcIdTokenInvalidError('the ID token is not a compact JWS of 3 parts');
  }
  const parts = [jws.slice(0, first), jws.slice(first + 1, second), jws.slice(second + 1)];
  // Length 1 mod 4 encodes no whole byte: not base64url, whatever Buffer would make of it. An
  // empty signature is well-formed (`alg: none`): the alg check refuses it with its own code.
  const malformed = (p: string) => !BASE64URL.test(p) || p.length % 4 === 1;
  if (malformed(parts[0] as string) || malformed(parts[1] as string)) {
    throw new OidcIdTokenInvalidError('the ID token header or payload is empty or not base64url');
  }
  if (parts[2] !== '' && malformed(parts[2] as string)) {
    throw new OidcIdTokenInvalidError('the ID token signature is not base64url');
  }
  const headerJson = Buffer.from(parts[0] as string, 'base64url').toString('utf8');
  let header: unknown;
  try {
    header = JSON.parse(headerJson);
  } catch {
    throw new OidcIdTokenInvalidError('the ID token header is not JSON');
  }
  if (!isObject(header)) throw new OidcIdTokenInvalidError('the ID token header is not an object');
  // RFC 7519 §4: a parser may keep the last of two members of one name (JSON.parse does) or
  // refuse the token. Refused: a claim sent twice must not be read as its last value (a deny on
  // the first would be escaped), nor a header or claim read differently by two parsers.
  const payloadJson = Buffer.from(parts[1] as string, 'base64url').toString('utf8');
  try {
    JSON.parse(payloadJson);
  } catch {
    throw new OidcIdTokenInvalidError('the ID token payload is not JSON');
  }
  for (const [part, json] of [
    ['header', headerJson],
    ['payload', payloadJson],
  ] as const) {
    const twice = findDuplicateMember(json);
    if (twice !== undefined) {
      throw new OidcIdTokenInvalidError(
        `the ID token ${part} names member ${kidName(twice)} twice`,
      );
    }
  }
  return { header, signingInput: jws.slice(0, second), signature: parts[2] as string };
};

/**
 * oauth4webapi's getPublicSigKeyFromIssuerJwksUri candidate filter, rule for rule: kty per alg,
 * `kid` when the token names one, the key's `alg` and `use` when present, `key_ops` containing
 * `verify` when present, the curve per alg.
 */
const isCandidate = (jwk: Jwk, alg: IdTokenSigningAlg, kid: string | undefined): boolean => {
  const spec = ALGORITHMS[alg];
  if (jwk.kty !== spec.kty) return false;
  if (kid !== undefined && jwk.kid !== kid) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  // oauth4webapi calls key_ops.includes; a key_ops that is not an array is not a verify key.
  if (jwk.key_ops !== undefined) {
    if (!Array.isArray(jwk.key_ops) || !jwk.key_ops.includes('verify')) return false;
  }
  if (spec.crv !== undefined && jwk.crv !== spec.crv) return false;
  return true;
};

/** A KeyObject from the JWK, refused when node:crypto cannot read it or it is too weak. */
const importKey = (jwk: Jwk, alg: IdTokenSigningAlg): VerificationKey => {
  const spec = ALGORITHMS[alg];
  const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  const name = `the IdP key ${kidName(kid)}`;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch (err) {
    throw new OidcUpstreamInvalidError(
      'oidc_discovery_invalid',
      `${name} in the JWKS is not a usable ${spec.kty} key`,
      { cause: err },
    );
  }
  if (key.asymmetricKeyType !== spec.keyType) {
    throw new OidcUpstreamInvalidError(
      'oidc_discovery_invalid',
      `${name} in the JWKS is a ${key.asymmetricKeyType} key, ${alg} needs ${spec.keyType}`,
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (spec.keyType === 'rsa' && (bits === undefined || bits < MIN_RSA_BITS)) {
    throw new OidcUpstreamInvalidError(
      'oidc_discovery_invalid',
      `${name} in the JWKS has ${bits} bits, fewer than ${MIN_RSA_BITS}`,
    );
  }
  return { kid, input: spec.input(key) };
};

const jwksUrl = (jwksUri: unknown, allowInsecure: boolean): URL => {
  const url = typeof jwksUri === 'string' ? URL.parse(jwksUri) : null;
  if (!url) {
    throw new OidcUpstreamInvalidError(
      'oidc_discovery_invalid',
      'the discovery document has no valid jwks_uri',
    );
  }
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    throw new OidcUpstreamInvalidError(
      'oidc_discovery_invalid',
      `jwks_uri must be https (${url.protocol} given)`,
    );
  }
  return url;
};

/** The outage state: how many fetches in a row failed, when the next may start, the last error. */
interface JwksOutage {
  failures: number;
  /** Epoch milliseconds. */
  retryAt: number;
  error: unknown;
}

/**
 * Creates the ID token signature check of one IdP: fedgate's own, in place of openid-client's
 * `enableNonRepudiationChecks`, with the same key-selection and JWKS-freshness rules as
 * oauth4webapi, but a node:crypto `KeyObject` built once per JWK and a synchronous
 * `crypto.verify` (no WebCrypto promise on the libuv threadpool per sign-in). The JWKS is fetched
 * from the discovered `jwks_uri` through the given (bounded) fetch, kept 300 s, and refetched
 * once for an unknown key only when at least 60 s old, so a stream of forged `kid`s cannot make
 * fedgate fetch more than once a minute. Concurrent fetches are shared.
 *
 * When the IdP's JWKS endpoint fails (an outage, or an answer that is not a JWKS), the last good
 * key set is kept and used for up to `maxStaleMs` after its fetch, and no fetch is attempted
 * for 1 s, then 2 s, 4 s… up to 60 s after each failure in a row (exponential back-off, reset by
 * the next success). During the back-off a token whose key is not in the kept set is refused
 * with the outage's error (503, or 502 for a broken answer): its key may be a new one fedgate
 * cannot see; without a kept set every token is.
 * @example
 * const idTokenSignature = createIdTokenSignatureVerifier({
 *   jwksUri: configuration.serverMetadata().jwks_uri, alg: 'RS256', fetch: boundedFetch,
 * });
 * await idTokenSignature.verify(tokens.id_token);
 */
export const createIdTokenSignatureVerifier = (
  opts: IdTokenSignatureVerifierOptions,
): IdTokenSignatureVerifier => {
  const { alg } = opts;
  const spec = ALGORITHMS[alg];
  if (!spec) throw new TypeError(`unsupported ID token alg ${String(alg)}`);
  const now = opts.clock ?? systemClock;
  const maxChars = opts.maxTokenChars ?? DEFAULT_MAX_RESPONSE_BYTES;
  const maxStaleMs = Math.max(JWKS_MAX_AGE_MS, opts.maxStaleMs ?? JWKS_MAX_STALE_MS);
  /** The last good key set: replaced by the next successful fetch only, never dropped. */
  let snapshot: JwksSnapshot | undefined;
  let pending: Promise<JwksSnapshot> | undefined;
  let outage: JwksOutage | undefined;

  const download = async (): Promise<JwksSnapshot> => {
    const url = jwksUrl(opts.jwksUri, opts.allowInsecureRequests === true);
    let response: Response;
    try {
      response = await opts.fetch(url.href, {
        body: undefined,
        headers: { accept: 'application/json, application/jwk-set+json' },
        method: 'GET',
        redirect: 'manual',
      });
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      // Timeouts, refused connections, resets: the IdP, not the token, is at fault.
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : 'fetch failed';
      throw new DependencyUnavailableError('oidc', `JWKS fetch failed: ${reason}`, { cause: err });
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 500 || response.status === 429) {
        throw new DependencyUnavailableError('oidc', `jwks_uri answered ${response.status}`);
      }
      throw new OidcUpstreamInvalidError(
        'oidc_discovery_invalid',
        `jwks_uri answered ${response.status}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(await response.text());
    } catch (err) {
      throw new OidcUpstreamInvalidError('oidc_discovery_invalid', 'the JWKS is not JSON', {
        cause: err,
      });
    }
    if (!isObject(body) || !Array.isArray(body.keys) || !body.keys.every(isObject)) {
      throw new OidcUpstreamInvalidError(
        'oidc_discovery_invalid',
        'the JWKS is not an object with a "keys" array of JWKs',
      );
    }
    return { keys: body.keys, fetchedAt: now(), imported: new Map() };
  };

  /** The error a caller gets while fetches back off: the kind of the last failure, said so. */
  const backingOff = ({ failures, retryAt, error }: JwksOutage): GatewayError => {
    const last =
      error instanceof GatewayError ? (error.detail ?? error.code) : String(error).slice(0, 200);
    const detail = `JWKS fetch backing off after ${failures} failure(s), next attempt in ${retryAt - now()} ms (last: ${last})`;
    return error instanceof OidcUpstreamInvalidError
      ? new OidcUpstreamInvalidError(
          error.code as 'oidc_response_too_large' | 'oidc_discovery_invalid',
          detail,
          { cause: error },
        )
      : new DependencyUnavailableError('oidc', detail, { cause: error });
  };

  /**
   * The JWKS fetched again, once for every concurrent caller, unless fetches are backing off
   * after failures. A success replaces the kept set and ends the outage; a failure keeps the set
   * and pushes the next attempt out (1 s, doubling, at most 60 s).
   */
  const refresh = (): Promise<JwksSnapshot> => {
    if (pending) return pending;
    if (outage && now() < outage.retryAt) return Promise.reject(backingOff(outage));
    const request = download().then(
      (fetched) => {
        snapshot = fetched;
        outage = undefined;
        return fetched;
      },
      (err: unknown) => {
        const failures = (outage?.failures ?? 0) + 1;
        const delay = Math.min(JWKS_BACKOFF_BASE_MS * 2 ** (failures - 1), JWKS_BACKOFF_MAX_MS);
        outage = { failures, retryAt: now() + delay, error: err };
        throw err;
      },
    );
    pending = request;
    const settle = () => {
      if (pending === request) pending = undefined;
    };
    request.then(settle, settle);
    return pending;
  };

  /** The kept set, if it may still be used in an outage. */
  const lastGood = (): JwksSnapshot | undefined =>
    snapshot && now() - snapshot.fetchedAt < maxStaleMs ? snapshot : undefined;

  const selectKey = async (kid: string | undefined): Promise<VerificationKey> => {
    let jwks = snapshot;
    /** A fetch was made for this token (so an unknown key makes none more). */
    let refetched = false;
    /** A fetch for this token failed or was held back: the kept set may lack a new key. */
    let failure: unknown;
    if (!jwks || now() - jwks.fetchedAt >= JWKS_MAX_AGE_MS) {
      try {
        jwks = await refresh();
        refetched = true;
      } catch (err) {
        // An IdP outage: the last good set, while it may be used; otherwise the outage's error.
        jwks = lastGood();
        if (!jwks) throw err;
        failure = err;
      }
    }
    let candidates = jwks.keys.filter((jwk) => isCandidate(jwk, alg, kid));
    if (candidates.length === 0 && failure !== undefined) throw failure;
    if (candidates.length === 0 && !refetched && now() - jwks.fetchedAt >= JWKS_REFETCH_AFTER_MS) {
      // Key rotation: IdPs publish the next key before signing with it. Once a minute at most,
      // and not while backing off (the outage's error then: the key may be a new one).
      jwks = await refresh();
      candidates = jwks.keys.filter((jwk) => isCandidate(jwk, alg, kid));
    }
    const [jwk, ...others] = candidates;
    if (!jwk) {
      throw new OidcKeyNotFoundError(`no ${alg} key in the IdP's JWKS for kid ${kidName(kid)}`);
    }
    if (others.length > 0) {
      throw new OidcKeyNotFoundError(
        `${candidates.length} ${alg} keys in the IdP's JWKS match kid ${kidName(kid)}`,
      );
    }
    let key = jwks.imported.get(jwk);
    if (!key) {
      key = importKey(jwk, alg);
      jwks.imported.set(jwk, key);
    }
    return key;
  };

  return {
    async verify(idToken) {
      const { header, signingInput, signature } = parseCompact(idToken, maxChars);
      // Pinned: `none`, HS* keyed with a public key (RS/HS confusion) and any other asymmetric
      // alg are refused before a key is looked at.
      if (header.alg !== alg) {
        const given = typeof header.alg === 'string' ? kidName(header.alg) : '(not a string)';
        throw new OidcAlgorithmNotAllowedError(`ID token alg ${given} is not the pinned ${alg}`);
      }
      // RFC 7515 §4.1.11: extensions fedgate does not implement must not be ignored.
      if (header.crit !== undefined) {
        throw new OidcIdTokenInvalidError(
          'the ID token header has crit: no extension is supported',
        );
      }
      // An ID token is a plain JWT (OIDC Core §2 sets no other type). A `typ` naming anything
      // else is another kind of token signed by the same key: an access token (`at+jwt`, RFC
      // 9068), a logout token (`logout+jwt`)… which would otherwise pass every claim check that
      // happens to fit. Absent is allowed: most IdPs send `JWT`, some send nothing.
      if (header.typ !== undefined && !isPlainJwtTyp(header.typ)) {
        const given = typeof header.typ === 'string' ? kidName(header.typ) : '(not a string)';
        throw new OidcIdTokenTypInvalidError(`ID token typ ${given} is not JWT`);
      }
      const { kid } = header;
      if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
        throw new OidcIdTokenInvalidError('the ID token header kid is not a non-empty string');
      }
      const key = await selectKey(kid);
      const bytes = Buffer.from(signature, 'base64url');
      if (spec.signatureBytes !== undefined && bytes.length !== spec.signatureBytes) {
        throw new OidcSignatureInvalidError(
          `${alg} signature of ${bytes.length} bytes, ${spec.signatureBytes} expected`,
        );
      }
      let valid: boolean;
      try {
        valid = verify(spec.digest, Buffer.from(signingInput, 'latin1'), key.input, bytes);
      } catch (err) {
        throw new OidcSignatureInvalidError(`${alg} signature could not be checked`, {
          cause: err,
        });
      }
      if (!valid) {
        throw new OidcSignatureInvalidError(
          `${alg} signature does not verify with the IdP key ${kidName(key.kid)}`,
        );
      }
    },
  };
};
