/**
 * SCIM 2.0 (RFC 7643, RFC 7644): the service provider that feeds an IdP's directory
 * (shared/directory). See shared/directory/README.md.
 */
export * from './auth.js';
export * from './documents.js';
export * from './endpoints.js';
export * from './errors.js';
export * from './filter.js';
export * from './json.js';
export * from './patch.js';
export * from './schema.js';
export * from './service.js';
