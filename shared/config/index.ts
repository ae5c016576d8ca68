export * from './gateway-config.js';
export * from './load-config.js';
export * from './schema.js';
