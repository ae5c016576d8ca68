import { GatewayError } from '../http/errors.js';

/**
 * A value fedgate was about to sign for AWS breaks AWS's rules or XML's. The mapping engine checks
 * every grant first, so this means a bug or a grant built around the engine: nothing is emitted
 * (defence in depth, SECURITY.md §5: STS is never the validator).
 */
export class MintInvalidValueError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(500, 'mint_invalid_value', 'fedgate could not issue the sign-in for AWS.', {
      ...opts,
      detail,
    });
  }
}

/** The minted document would exceed what AWS accepts (SAMLResponse base64 > 100,000 characters). */
export class MintTooLargeError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(500, 'mint_too_large', 'fedgate could not issue the sign-in for AWS.', {
      ...opts,
      detail,
    });
  }
}

/**
 * fedgate's own signing key or issuer settings are unusable (a key that does not parse, a
 * certificate that does not belong to its key, an entity id that is not a URI): an operator must
 * act. Raised when the issuer is built, at cold start, never per request.
 */
export class IssuerMisconfiguredError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(500, 'issuer_misconfigured', 'fedgate is not configured correctly.', {
      ...opts,
      detail,
    });
  }
}
