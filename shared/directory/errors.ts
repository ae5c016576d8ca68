import { GatewayError } from '../http/errors.js';

/**
 * The IdP's directory requires a provisioned person (`directory.requireProvisioned`) and this one
 * is not in it: never assigned to the application at the IdP, deleted by provisioning, or not yet
 * provisioned. Also refused: an overage sign-in (too many groups for the token) of a person the
 * directory does not know, since their groups are then known nowhere.
 */
export class DirectoryUserNotProvisionedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      403,
      'directory_user_not_provisioned',
      'Your account is not provisioned for AWS access through this sign-in. Ask an administrator to assign you to the application at your identity provider.',
      { ...opts, detail },
    );
  }
}

/** The directory has the person, deactivated (`active: false`): deprovisioned, access ended. */
export class DirectoryUserInactiveError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      403,
      'directory_user_inactive',
      'Your account has been deactivated for AWS access. Contact your administrator if you still need it.',
      { ...opts, detail },
    );
  }
}
