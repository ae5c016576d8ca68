export * from './handback.js';
export * from './published.js';
export * from './signing.js';
export * from './stores.js';
