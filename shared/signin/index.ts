/**
 * Completing a sign-in: the one tail every protocol's flow ends in (a session, then the console
 * for one grant or the portal for several), and the confirmation of IdP-initiated sign-ins.
 */
export * from './complete.js';
export * from './confirm.js';
