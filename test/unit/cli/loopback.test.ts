import { describe, expect, it } from 'vitest';
import { parseLoopbackRedirectUri } from '../../../shared/cli/index.js';

describe('parseLoopbackRedirectUri (RFC 8252 §7.3, §8.3)', () => {
  it.each([
    ['http://127.0.0.1:53123/callback'],
    ['http://127.0.0.1:1/'],
    ['http://[::1]:53123/callback'],
    ['http://127.0.0.1:65535/a/b-c_d'],
  ])('accepts %s', (raw) => {
    expect(parseLoopbackRedirectUri(raw).href).toBe(raw);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['localhost (a name, resolvable elsewhere)', 'http://localhost:53123/callback'],
    ['another host', 'http://evil.example:53123/callback'],
    ['a look-alike host', 'http://127.0.0.1.evil.example:53123/callback'],
    ['another loopback address', 'http://127.0.0.2:53123/callback'],
    ['https', 'https://127.0.0.1:53123/callback'],
    ['a custom scheme', 'com.example.app:/callback'],
    ['javascript:', 'javascript:alert(1)'],
    ['no port', 'http://127.0.0.1/callback'],
    ['port 80 spelled out (normalised away)', 'http://127.0.0.1:80/callback'],
    ['credentials', 'http://user:pw@127.0.0.1:53123/callback'],
    ['@ in front of the loopback address', 'http://evil.example@127.0.0.1:53123/callback'],
    ['a query', 'http://127.0.0.1:53123/callback?next=https://evil.example'],
    ['an empty query', 'http://127.0.0.1:53123/callback?'],
    ['a fragment', 'http://127.0.0.1:53123/callback#x'],
    ['an empty fragment', 'http://127.0.0.1:53123/callback#'],
    ['IPv4 shorthand', 'http://127.1:53123/callback'],
    ['a decimal address', 'http://2130706433:53123/callback'],
    ['a hex address', 'http://0x7f.0.0.1:53123/callback'],
    ['an IPv6 long form', 'http://[0:0:0:0:0:0:0:1]:53123/callback'],
    ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]:53123/callback'],
    ['upper-case scheme', 'HTTP://127.0.0.1:53123/callback'],
    ['dot segments', 'http://127.0.0.1:53123/a/../callback'],
    ['no path', 'http://127.0.0.1:53123'],
    ['a backslash', 'http://127.0.0.1:53123\\@evil.example/'],
    ['a tab', 'http://127.0.0.1:53123/call\tback'],
    ['CR/LF', 'http://127.0.0.1:53123/callback\r\n'],
    ['non-ASCII', 'http://127.0.0.1:53123/cällback'],
    ['too long', `http://127.0.0.1:53123/${'a'.repeat(600)}`],
  ])('refuses %s (cli_redirect_uri_invalid)', (_, raw) => {
    expect(() => parseLoopbackRedirectUri(raw)).toThrow(
      expect.objectContaining({ code: 'cli_redirect_uri_invalid', status: 400 }),
    );
  });
});
