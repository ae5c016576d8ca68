import { GatewayError } from '../http/index.js';

/**
 * The AWS federation endpoint refused `getSigninToken` or answered something unusable (a 4xx, no
 * JSON, no `SigninToken`). Not exposed (502: the person sees `server_error`); the detail carries
 * the HTTP status and what was wrong with the answer, never the answer itself (it may hold the
 * SigninToken) nor the request URL (it holds the credentials).
 */
export class ConsoleSigninFailedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      502,
      'console_signin_failed',
      'The AWS federation endpoint refused the console sign-in token request. Check that the ' +
        'credentials come from AssumeRoleWithSAML/WithWebIdentity (not role chaining, which may ' +
        'not ask for a SessionDuration), that SessionDuration is 900-43200 s, and that the ' +
        'federation endpoint belongs to the partition of the credentials.',
      { ...opts, detail },
    );
  }
}
