/**
 * Console deep links (SAML `RelayState`, a `return_to` for the console) are attacker-controlled:
 * anyone can send a person to fedgate with any RelayState. Only AWS console URLs may come out of
 * here (SECURITY.md §6), so fedgate can never be used as an open redirect, even through AWS's own
 * federation endpoint (which would redirect a signed-in person to whatever Destination it gets).
 */

/**
 * Where a person lands when no (valid) destination was asked for. For GovCloud or China
 * deployments pass the partition's console as `fallback`.
 */
export const DEFAULT_CONSOLE_DESTINATION = 'https://console.aws.amazon.com/';

/**
 * The AWS console hosts of the three public partitions. Each allows the host itself and any
 * subdomain (`us-east-1.console.aws.amazon.com`, `s3.console.aws.amazon.com`, …); nothing else.
 */
export const AWS_CONSOLE_HOSTS: readonly string[] = Object.freeze([
  'console.aws.amazon.com',
  'console.amazonaws-us-gov.com',
  'console.amazonaws.cn',
]);

/** Longer than any console deep link a person bookmarks; bounds the parser's work. */
const MAX_DESTINATION_LENGTH = 2048;

// Printable ASCII only, no space and no backslash. Rejecting before parsing matters: the WHATWG
// parser silently drops tab/CR/LF and turns "\" into "/" for https URLs, so "https:/\evil" or a
// CRLF-split value would otherwise come out as something that looks clean. A real console link is
// ASCII (non-ASCII query text arrives percent-encoded), so full-width or Cyrillic look-alikes of
// the host are refused here rather than normalised.
const SAFE_RAW = /^[\x21-\x5b\x5d-\x7e]+$/;

export interface ConsoleDestinationOptions {
  /**
   * Allowed host names: `example.com` allows that host and its subdomains. Defaults to
   * {@link AWS_CONSOLE_HOSTS}; narrow it (e.g. to one partition), never widen it beyond AWS.
   */
  allowedHosts?: readonly string[];
  /** What invalid or missing input falls back to (default {@link DEFAULT_CONSOLE_DESTINATION}). */
  fallback?: URL;
}

const isAllowedHost = (hostname: string, allowedHosts: readonly string[]): boolean =>
  allowedHosts.some((allowed) => {
    const h = allowed.toLowerCase();
    return hostname === h || hostname.endsWith(`.${h}`);
  });

/** Parses and checks one candidate; `undefined` when it is not an allowed console URL. */
const toConsoleUrl = (raw: string, allowedHosts: readonly string[]): URL | undefined => {
  if (raw.length > MAX_DESTINATION_LENGTH || !SAFE_RAW.test(raw)) return undefined;
  // Absolute URLs only: no base, so "//evil.example" and "/path" do not parse at all.
  if (!URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'https:') return undefined; // javascript:, data:, http:, …
  if (url.username !== '' || url.password !== '') return undefined; // https://console…@evil
  if (url.port !== '') return undefined; // the console only serves 443
  const { hostname } = url;
  // Trailing dots and IDNA (punycode) labels are never part of a console host we link to.
  if (hostname.endsWith('.') || hostname.split('.').some((label) => label.startsWith('xn--')))
    return undefined;
  return isAllowedHost(hostname, allowedHosts) ? url : undefined;
};

/**
 * Whether a URL is an allowed AWS console destination: `https:`, no credentials or port, a host
 * equal to or under one of the allowed console hosts, nothing the WHATWG parser would rewrite.
 * @example isAllowedConsoleDestination('https://us-east-1.console.aws.amazon.com/ec2/home') // true
 * @example isAllowedConsoleDestination('https://console.aws.amazon.com.evil.com/') // false
 */
export const isAllowedConsoleDestination = (
  url: URL | string,
  allowedHosts: readonly string[] = AWS_CONSOLE_HOSTS,
): boolean => toConsoleUrl(typeof url === 'string' ? url : url.href, allowedHosts) !== undefined;

/**
 * Turns an untrusted console deep link (SAML `RelayState`, a query parameter) into the URL to
 * hand to the federation endpoint as `Destination`. Missing, malformed or disallowed input
 * (`//evil`, `/\evil`, `user@host`, `javascript:`, CR/LF, look-alike or punycode hosts, other
 * ports, plain http) never fails the sign-in: it falls back to the safe default console URL.
 * @example parseConsoleDestination('https://console.aws.amazon.com/s3/home') // that URL
 * @example parseConsoleDestination('https://evil.example/') // https://console.aws.amazon.com/
 */
export const parseConsoleDestination = (
  relayState: string | undefined,
  options: ConsoleDestinationOptions = {},
): URL => {
  const allowedHosts = options.allowedHosts ?? AWS_CONSOLE_HOSTS;
  const candidate = relayState ? toConsoleUrl(relayState, allowedHosts) : undefined;
  return candidate ?? new URL((options.fallback ?? new URL(DEFAULT_CONSOLE_DESTINATION)).href);
};
