export * from './claim-trust.js';
export * from './gateway-config.js';
export * from './lint.js';
export * from './load-config.js';
export * from './schema.js';
