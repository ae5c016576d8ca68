export * from './claim-trust.js';
export * from './fold.js';
export * from './gateway-config.js';
export * from './lint.js';
export * from './load-config.js';
export { checkPatternSyntax, MAX_PATTERN_LENGTH } from './pattern-syntax.js';
export * from './schema.js';
