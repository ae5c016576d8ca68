import { awsStandIns } from './aws/index.js';
import { demoRoles } from './demo/demo-roles.js';
import { demoOidcIdp } from './demo/oidc-idp.js';
import { demoProvisioning } from './demo/provisioning.js';
import { demoSamlIdps } from './demo/saml-idps.js';
import { demoSpa } from './demo/spa.js';
import type { LocalPlugin } from './plugin.js';

/**
 * What `npm start` runs beside the gateway: the demo SAML IdPs, the demo OpenID provider and the
 * demo SPA (/_local/spa/), and the local stand-ins for STS and the console federation endpoint
 * (with the fault switch at /_local/faults), whose pretend IAM holds the demo roles with their
 * trust policies, and the demo IdPs' SCIM provisioning of the directory.
 */
export const defaultPlugins = (): LocalPlugin[] => [
  demoSamlIdps(),
  demoOidcIdp(),
  demoSpa(),
  ...awsStandIns({ roles: demoRoles }).plugins,
  // Last: its provisioning run goes through the gateway once everything else is up.
  demoProvisioning(),
];
