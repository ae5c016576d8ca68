/**
 * The console domain: allowlisted console destinations (SECURITY.md §6) and the AWS console
 * hand-off through the federation endpoint (getSigninToken, then the login URL).
 */
export {
  AWS_CONSOLE_HOSTS,
  type ConsoleDestinationOptions,
  DEFAULT_CONSOLE_DESTINATION,
  isAllowedConsoleDestination,
  parseConsoleDestination,
} from './destination.js';
export { ConsoleSigninFailedError } from './errors.js';
export {
  AWS_FEDERATION_ENDPOINT,
  type ConsoleSignin,
  type ConsoleSigninDeps,
  consoleSessionSeconds,
  createConsoleSignin,
  type SigninUrlRequest,
} from './signin.js';
