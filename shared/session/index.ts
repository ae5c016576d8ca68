/**
 * Sessions: one live, re-evaluated session per person and client (browser portal, SPA, CLI). A
 * session stores the verified identity, never grants; every use re-runs the current rules. See
 * README.md in this folder.
 */
export * from './errors.js';
export * from './person.js';
export * from './record.js';
export * from './sessions.js';
export * from './token.js';
