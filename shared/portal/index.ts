/** The access portal: its pages (see README.md in this folder) and endpoints. */
export * from './endpoints.js';
export * from './home.js';
export * from './pages.js';
