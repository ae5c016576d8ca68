import { CliRedirectUriInvalidError } from './errors.js';

const MAX_REDIRECT_URI_LENGTH = 512;
// Printable ASCII without space or backslash, checked before parsing: the WHATWG parser drops
// tab/CR/LF and turns "\" into "/", so a value could otherwise come out looking clean.
const SAFE_RAW = /^[\x21-\x5b\x5d-\x7e]+$/;

/** The loopback hosts a native app may listen on (RFC 8252 §7.3), as the WHATWG parser spells them. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]']);

/**
 * The CLI's `redirect_uri`, checked as RFC 8252 §7.3 / §8.3 ask: `http` on the loopback IP
 * literal `127.0.0.1` or `[::1]` with an explicit port (the ephemeral one the CLI listens on) —
 * never `localhost` (a name a hosts file or the network may resolve elsewhere), never another
 * host. Parsed with the WHATWG URL parser, then the raw value must equal the parsed `href`: no
 * credentials, query or fragment, and no spelling the parser would normalise (`127.1`,
 * `0x7f.0.0.1`, `2130706433`, upper case, dot segments, a missing path).
 * @throws cli_redirect_uri_invalid (400) for anything else.
 * @example parseLoopbackRedirectUri('http://127.0.0.1:53123/callback') // URL
 */
export const parseLoopbackRedirectUri = (raw: string | undefined): URL => {
  const refuse = (why: string): never => {
    throw new CliRedirectUriInvalidError(`redirect_uri ${why}`);
  };
  if (raw === undefined || raw === '') return refuse('missing');
  if (raw.length > MAX_REDIRECT_URI_LENGTH) return refuse('too long');
  if (!SAFE_RAW.test(raw)) return refuse('has characters outside printable ASCII');
  if (!URL.canParse(raw)) return refuse('does not parse');
  const url = new URL(raw);
  if (url.protocol !== 'http:') return refuse(`scheme ${url.protocol.slice(0, 16)} not http`);
  if (!LOOPBACK_HOSTS.has(url.hostname)) return refuse('is not on 127.0.0.1 or [::1]');
  // The default port (80) parses to '' too: a loopback listener names its ephemeral port.
  if (url.port === '') return refuse('names no port');
  if (url.username !== '' || url.password !== '') return refuse('carries credentials');
  // An empty `?` or `#` parses to '' too: the raw value is checked as well.
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(raw)) {
    return refuse('carries a query or fragment');
  }
  if (url.href !== raw) return refuse('is not in its normal form');
  return url;
};
