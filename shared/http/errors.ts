/**
 * The one error model of fedgate (modelled on oidc-provider's errors): a stable snake_case `code`
 * sent to the client, a `description` safe to show a person, and a `detail` for the logs only.
 * Only the error middleware turns these into HTTP responses.
 */
export class GatewayError extends Error {
  /** HTTP status the error maps to. */
  readonly status: number;
  /** Stable snake_case code sent to the client, e.g. `saml_signature_invalid`. */
  readonly code: string;
  /** Safe to show a user. */
  readonly description: string;
  /** Logs only (like oidc-provider's error_detail): never sent to the client. */
  readonly detail: string | undefined;

  constructor(
    status: number,
    code: string,
    description: string,
    opts?: ErrorOptions & { detail?: string },
  ) {
    super(`${code}: ${opts?.detail ?? description}`, opts);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.description = description;
    this.detail = opts?.detail;
  }

  /** Client errors are shown as they are; server errors go out as a generic `server_error`. */
  get expose(): boolean {
    return this.status < 500;
  }
}

/** The request is malformed (method, content type, form fields). */
export class InvalidRequestError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'invalid_request', 'The request is not valid.', { ...opts, detail });
  }
}

/** No such route or IdP. */
export class NotFoundError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(404, 'not_found', 'There is nothing here.', { ...opts, detail });
  }
}

/** The method is not allowed on this route. */
export class MethodNotAllowedError extends GatewayError {
  readonly allow: readonly string[];
  constructor(allow: readonly string[], opts?: ErrorOptions) {
    super(405, 'method_not_allowed', 'This method is not allowed here.', {
      ...opts,
      detail: `allowed: ${allow.join(', ')}`,
    });
    this.allow = allow;
  }
}

/**
 * A dependency (DynamoDB, KMS, STS, an upstream IdP's endpoints) failed or is throttled: a clear
 * 503, exposed so the person knows to retry, with nothing issued.
 */
export class DependencyUnavailableError extends GatewayError {
  readonly dependency: string;
  constructor(dependency: string, detail: string, opts?: ErrorOptions) {
    super(
      503,
      'temporarily_unavailable',
      'fedgate cannot complete sign-in right now. Please try again in a moment.',
      {
        ...opts,
        detail: `${dependency}: ${detail}`,
      },
    );
    this.dependency = dependency;
  }

  // A 503 is shown to the person (with its code), unlike other 5xx: it tells them what to do.
  override get expose(): boolean {
    return true;
  }
}

/** The gateway's own configuration (attribute table content) is unusable: an operator must act. */
export class GatewayMisconfiguredError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(500, 'server_error', 'fedgate is not configured correctly.', { ...opts, detail });
  }
}
