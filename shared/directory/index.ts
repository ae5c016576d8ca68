/**
 * The directory: an IdP's people, groups, memberships and operator-set attributes in the
 * attribute table, fed by SCIM (shared/scim) and the admin CLI, joined to identities before the
 * rules run. See README.md in this folder.
 */
export * from './deprovision.js';
export * from './errors.js';
export * from './facts.js';
export * from './join.js';
export * from './kill-switch.js';
export type { DirectoryStore } from './ports.js';
export * from './reader.js';
export type * from './types.js';
