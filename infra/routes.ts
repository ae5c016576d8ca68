/**
 * The HTTP API's routes and functions, derived from infra/manifest.ts (where a function and its
 * routes are declared, with everything else it may touch). Kept as its own module for the code
 * that only needs the routing: the local runner's route matcher, the tests.
 */
export { FUNCTIONS, type FunctionName, ROUTES, type RouteDef, type RouteKey } from './manifest.js';
