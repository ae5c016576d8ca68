import { GatewayError } from '../http/errors.js';

/** No rule granted this person any role (or a deny rule removed them all). */
export class NoRoleMatchedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      403,
      'no_role_matched',
      'Your account has not been granted access to any AWS role through this sign-in.',
      {
        ...opts,
        detail,
      },
    );
  }
}
