import { html, type SafeHtml } from './html.js';

/**
 * What an error page offers as its one way forward: start again at the sign-in page, choose
 * another identity provider (also the sign-in page, worded for it), ask for help, or wait.
 */
export type NextAction = 'sign-in-again' | 'other-idp' | 'contact' | 'retry-later';

/** The text of the error page's link for each action (every link leads to the sign-in page). */
export const NEXT_ACTION_LINKS: Readonly<Record<NextAction, string>> = Object.freeze({
  'sign-in-again': 'Sign in again',
  'other-idp': 'Choose another identity provider',
  'retry-later': 'Start again',
  contact: 'Back to sign-in',
});

/** What a person can do after a refusal with a given error `code`. */
export interface NextStep {
  /** One or two sentences addressed to the person: what they can do now. */
  person: string;
  action: NextAction;
}

/**
 * The operator-configured help contact, shown on error pages and the portal: `text` names it
 * ("IT help desk, ext. 4711"), `url` links it (https:, http:, mailto: or tel: only; anything else
 * is shown as text without a link).
 */
export interface SupportContact {
  text: string;
  url?: string | URL;
}

const AGAIN = 'Start again from the sign-in page. If it happens again, contact your help desk.';
const AGAIN_PLAIN = 'Start again from the sign-in page.';
const CLOCK =
  'Check that the date, time and time zone of your device are right, then sign in again.';
const ADMIN_IDP =
  'This needs a change in how your identity provider is set up for AWS. Contact your help desk ' +
  'and quote the request id below.';
const ADMIN_GATEWAY =
  'This needs a change on our side. Contact your help desk and quote the request id below.';
const ORG =
  'Your organisation may not use this sign-in. Choose the identity provider your organisation ' +
  'uses for AWS, or sign in there with your work account.';
const APP =
  'The application that sent you here is not set up to use this sign-in. Contact its owner or ' +
  'your help desk.';
const WAIT = 'Wait a minute, then try again. If it keeps happening, contact your help desk.';

const again: NextStep = { person: AGAIN, action: 'sign-in-again' };
const againPlain: NextStep = { person: AGAIN_PLAIN, action: 'sign-in-again' };
const clock: NextStep = { person: CLOCK, action: 'sign-in-again' };
const idpSetUp: NextStep = { person: ADMIN_IDP, action: 'contact' };
const gatewaySetUp: NextStep = { person: ADMIN_GATEWAY, action: 'contact' };
const org: NextStep = { person: ORG, action: 'other-idp' };
const app: NextStep = { person: APP, action: 'contact' };

/**
 * Every error code the gateway raises, and what the person can do next. Codes of 5xx errors other
 * than 503 are never shown (the page says `server_error`) but are listed so that the table stays
 * complete; the unit test test/unit/http/next-steps.test.ts fails when a `GatewayError` code in
 * shared/ has no entry here.
 */
export const NEXT_STEPS: Readonly<Record<string, NextStep>> = Object.freeze({
  // shared/http
  invalid_request: againPlain,
  not_found: {
    person: 'Check the address, or go to the sign-in page and start from there.',
    action: 'sign-in-again',
  },
  method_not_allowed: againPlain,
  temporarily_unavailable: { person: WAIT, action: 'retry-later' },
  server_error: {
    person:
      'Something went wrong on our side. Try again later; if it keeps happening, contact your ' +
      'help desk and quote the request id below.',
    action: 'contact',
  },
  // shared/store
  replay_detected: againPlain,
  state_conflict: {
    person: 'This sign-in is already being completed, perhaps in another tab. Start again.',
    action: 'sign-in-again',
  },
  // shared/handback
  no_role_matched: {
    person:
      'You signed in, but no AWS role is granted to you through this identity provider. If you ' +
      'have another account, choose its identity provider; otherwise ask your help desk for access.',
    action: 'other-idp',
  },
  // shared/session, shared/portal, shared/signin
  session_invalid: {
    person: 'Your session has ended (you signed out, it expired, or it sat unused). Sign in again.',
    action: 'sign-in-again',
  },
  session_revoked: {
    person:
      'An administrator ended your session. Sign in again if you still need access; if that is ' +
      'refused too, contact your help desk.',
    action: 'sign-in-again',
  },
  grant_not_available: {
    person:
      'The rules no longer grant you that role. Go back to your roles and choose another; ask ' +
      'your help desk if you still need it.',
    action: 'sign-in-again',
  },
  csrf_invalid: {
    person: 'This page is older than your session. Go back to your roles and try again.',
    action: 'sign-in-again',
  },
  signin_confirmation_invalid: againPlain,
  // shared/cli (the fedgate CLI's pages and API; the API's codes reach the CLI, which prints its
  // own next step, and are listed here so that the table stays complete)
  cli_redirect_uri_invalid: {
    person:
      'Start the sign-in from the fedgate CLI on your computer (fedgate login), not from a link ' +
      'someone sent you.',
    action: 'contact',
  },
  cli_user_code_invalid: {
    person:
      'Check the code your terminal shows and enter it again. If it expired, run ' +
      'fedgate login --no-browser again for a new code.',
    action: 'sign-in-again',
  },
  cli_too_many_attempts: { person: WAIT, action: 'retry-later' },
  cli_role_ambiguous: {
    person: 'Name the role as account/label, or by the id fedgate roles shows.',
    action: 'sign-in-again',
  },
  invalid_grant: { person: 'Run fedgate login again.', action: 'sign-in-again' },
  unsupported_grant_type: { person: 'Update the fedgate CLI.', action: 'contact' },
  authorization_pending: {
    person: 'Confirm the sign-in in your browser, then wait for the CLI.',
    action: 'sign-in-again',
  },
  slow_down: { person: 'Wait a few seconds between requests.', action: 'retry-later' },
  expired_token: { person: 'Run fedgate login again for a new code.', action: 'sign-in-again' },
  access_denied: {
    person: 'The sign-in was denied in the browser. Run fedgate login again if that was a mistake.',
    action: 'sign-in-again',
  },
  // shared/saml: integrity failures (one wording, as their descriptions share one)
  saml_malformed: again,
  saml_forbidden_construct: again,
  saml_structure_invalid: again,
  saml_signature_missing: again,
  saml_signature_invalid: again,
  saml_algorithm_not_allowed: idpSetUp,
  saml_issuer_invalid: again,
  saml_conditions_invalid: again,
  saml_subject_invalid: idpSetUp,
  saml_attribute_invalid: idpSetUp,
  saml_encrypted_unsupported: idpSetUp,
  saml_destination_invalid: idpSetUp,
  saml_recipient_invalid: idpSetUp,
  saml_audience_invalid: idpSetUp,
  saml_group_overage: idpSetUp,
  saml_status_not_success: {
    person:
      'Your identity provider did not sign you in (perhaps the sign-in was cancelled). Start again.',
    action: 'sign-in-again',
  },
  saml_not_yet_valid: clock,
  saml_expired: clock,
  saml_in_response_to_invalid: againPlain,
  saml_authn_too_old: againPlain,
  saml_unsolicited_refused: {
    person: 'Start from the sign-in page here rather than from the tile in your company portal.',
    action: 'sign-in-again',
  },
  saml_tenant_not_allowed: org,
  // shared/oidc
  oidc_state_mismatch: againPlain,
  oidc_transaction_invalid: againPlain,
  oidc_authorization_failed: {
    person:
      'Your identity provider did not sign you in (perhaps the sign-in was cancelled). Start again.',
    action: 'sign-in-again',
  },
  oidc_token_request_failed: again,
  oidc_signature_invalid: again,
  oidc_algorithm_not_allowed: idpSetUp,
  oidc_key_not_found: again,
  oidc_issuer_invalid: again,
  oidc_audience_invalid: idpSetUp,
  oidc_nonce_invalid: againPlain,
  oidc_token_expired: clock,
  oidc_auth_too_old: againPlain,
  oidc_id_token_invalid: again,
  // Dated ahead of fedgate's clock: the IdP's clock, not the person's device.
  oidc_id_token_iat_future: again,
  oidc_id_token_typ_invalid: idpSetUp,
  oidc_subject_invalid: idpSetUp,
  oidc_tenant_not_allowed: org,
  oidc_hosted_domain_not_allowed: org,
  oidc_group_overage: idpSetUp,
  // shared/directory: the IdP's provisioning decides; people ask its administrators.
  directory_user_not_provisioned: {
    person:
      'Your account is not set up for AWS access through this sign-in. Ask your help desk to ' +
      'assign you to the AWS application at your identity provider.',
    action: 'contact',
  },
  directory_user_inactive: {
    person:
      'Your account has been deactivated for AWS access. Contact your help desk if you still need it.',
    action: 'contact',
  },
  // shared/scim: answered to an IdP's provisioning client, never shown on a page.
  scim_unauthorized: gatewaySetUp,
  scim_not_found: gatewaySetUp,
  scim_throttled: { person: WAIT, action: 'retry-later' },
  scim_payload_too_large: gatewaySetUp,
  scim_not_implemented: gatewaySetUp,
  // The protocol refusals (RFC 7644 §3.12 scimType): the IdP's provisioning sent something
  // fedgate does not take; its provisioning log shows the description.
  scim_invalid_filter: idpSetUp,
  scim_too_many: idpSetUp,
  scim_uniqueness: idpSetUp,
  scim_mutability: idpSetUp,
  scim_invalid_syntax: idpSetUp,
  scim_invalid_path: idpSetUp,
  scim_no_target: idpSetUp,
  scim_invalid_value: idpSetUp,
  oidc_response_too_large: idpSetUp,
  oidc_discovery_invalid: idpSetUp,
  // shared/spa
  spa_client_unknown: app,
  spa_return_to_invalid: app,
  spa_origin_not_allowed: app,
  spa_code_invalid: againPlain,
  spa_verifier_mismatch: againPlain,
  spa_login_binding_invalid: {
    person: 'This sign-in was started in another browser. Sign in again from this one.',
    action: 'sign-in-again',
  },
  spa_grant_required: { person: 'Choose one of your roles.', action: 'sign-in-again' },
  // shared/issuer, shared/sts, shared/console (5xx: an operator must act)
  mint_invalid_value: gatewaySetUp,
  mint_too_large: gatewaySetUp,
  issuer_misconfigured: gatewaySetUp,
  sts_assume_role_failed: gatewaySetUp,
  sts_idp_rejected_claim: gatewaySetUp,
  sts_invalid_identity_token: gatewaySetUp,
  sts_expired_token: gatewaySetUp,
  sts_malformed_policy: gatewaySetUp,
  sts_packed_policy_too_large: gatewaySetUp,
  sts_region_disabled: gatewaySetUp,
  sts_access_denied: gatewaySetUp,
  sts_validation_error: gatewaySetUp,
  console_signin_failed: gatewaySetUp,
} satisfies Record<string, NextStep>);

/**
 * The next step for an error code; a code missing from {@link NEXT_STEPS} (it should not happen:
 * a unit test guards the table) gets "start again", which never grants anything.
 */
export const nextStepFor = (code: string): NextStep =>
  Object.hasOwn(NEXT_STEPS, code) ? (NEXT_STEPS[code] as NextStep) : again;

const LINKABLE = new Set(['https:', 'http:', 'mailto:', 'tel:']);

/**
 * The support contact's URL if it is one a page may link to (https, http, mailto, tel), else
 * undefined: a `javascript:` or `data:` URL in the configuration never becomes a link.
 */
export const supportHref = (support: SupportContact | undefined): string | undefined => {
  if (support?.url === undefined) return undefined;
  const url = URL.canParse(String(support.url)) ? new URL(String(support.url)) : undefined;
  return url && LINKABLE.has(url.protocol) ? url.href : undefined;
};

/**
 * "Need help? <contact>" for a page, the contact linked when its URL may be; nothing without a
 * contact.
 */
export const renderSupport = (support: SupportContact | undefined): SafeHtml => {
  if (!support?.text) return html``;
  const href = supportHref(support);
  return html`<p class="support">Need help? ${href ? html`<a href="${href}">${support.text}</a>` : support.text}</p>`;
};
