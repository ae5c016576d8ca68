export * from './access.js';
export * from './client-key-guard.js';
export * from './published.js';
export * from './saml-assumption.js';
export * from './sessions.js';
export * from './signing.js';
export * from './stores.js';
export * from './web-identity.js';
