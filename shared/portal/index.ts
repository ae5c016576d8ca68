/** The access portal: its pages and endpoints. */
export * from './endpoints.js';
export * from './home.js';
export * from './pages.js';
