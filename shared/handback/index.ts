export * from './errors.js';
export * from './handback.js';
export * from './pages.js';
export * from './types.js';
