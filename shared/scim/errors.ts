import { GatewayError } from '../http/errors.js';

/**
 * The `scimType` values of RFC 7644 §3.12 fedgate answers with (400, and 409 for `uniqueness`;
 * other statuses carry none). `invalidVers` and `sensitive` are never sent: fedgate takes no
 * `If-Match` versions and no filter names a sensitive attribute.
 */
export const SCIM_TYPES = [
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
] as const;

/** One of {@link SCIM_TYPES}. */
export type ScimType = (typeof SCIM_TYPES)[number];

/**
 * A refusal of the SCIM service, in the gateway's one error model: `code` is stable
 * (`scim_<scimType>` for protocol errors, e.g. `scim_invalid_filter`), `scimType` goes into the
 * RFC 7644 §3.12 error body, and `description` is what the IdP's provisioning log shows (names
 * attributes and limits, never a token or a secret).
 */
export class ScimError extends GatewayError {
  readonly scimType: ScimType | undefined;
  constructor(
    status: number,
    code: string,
    description: string,
    opts?: ErrorOptions & { detail?: string; scimType?: ScimType },
  ) {
    super(status, code, description, { ...opts, detail: opts?.detail ?? description });
    this.scimType = opts?.scimType;
  }
}

const snake = (t: ScimType) => t.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A 400 (or 409 for `uniqueness`) with its `scimType`: `scim_invalid_filter`, `scim_uniqueness`… */
export const scimBadRequest = (scimType: ScimType, description: string): ScimError =>
  new ScimError(scimType === 'uniqueness' ? 409 : 400, `scim_${snake(scimType)}`, description, {
    scimType,
  });

/** No or a wrong bearer token, or an IdP without provisioning: one answer for all three. */
export class ScimUnauthorizedError extends ScimError {
  constructor(detail: string) {
    super(401, 'scim_unauthorized', 'The bearer token is not valid for this SCIM endpoint.', {
      detail,
    });
  }
}

/** The resource does not exist in this IdP's directory. */
export class ScimNotFoundError extends ScimError {
  constructor(what: string) {
    super(404, 'scim_not_found', `${what} not found.`);
  }
}

/** This IdP's client sends more requests than its `requestsPerSecond`. */
export class ScimThrottledError extends ScimError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(429, 'scim_throttled', 'Too many requests: retry later.', {
      detail: `over the IdP's requests per second, retry after ${retryAfterSeconds}s`,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The request body is larger than the service accepts. */
export class ScimPayloadTooLargeError extends ScimError {
  constructor(maxBytes: number) {
    super(413, 'scim_payload_too_large', `The request body is larger than ${maxBytes} bytes.`);
  }
}

/** A method or endpoint the service does not offer (bulk, /Me, .search, sorting). */
export class ScimNotImplementedError extends ScimError {
  constructor(what: string) {
    super(501, 'scim_not_implemented', `${what} is not supported by this service provider.`);
  }
  // Shown as it is: the IdP must learn that the feature is absent, not that we failed.
  override get expose(): boolean {
    return true;
  }
}
