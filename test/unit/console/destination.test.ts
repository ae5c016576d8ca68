import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONSOLE_DESTINATION,
  isAllowedConsoleDestination,
  parseConsoleDestination,
} from '../../../shared/console/index.js';

describe('parseConsoleDestination', () => {
  it.each([
    'https://console.aws.amazon.com/',
    'https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:',
    'https://us-east-1.console.aws.amazon.com/s3/buckets?region=us-east-1',
    'https://s3.console.aws.amazon.com/s3/home',
    'https://console.amazonaws-us-gov.com/iam/home',
    'https://us-gov-west-1.console.amazonaws-us-gov.com/',
    'https://console.amazonaws.cn/',
    'https://console.aws.amazon.com/cloudwatch/home?q=a%20b%0D%0A',
  ])('keeps the console URL %s', (raw) => {
    expect(parseConsoleDestination(raw).href).toBe(new URL(raw).href);
  });

  it('normalises the host case', () => {
    expect(parseConsoleDestination('https://CONSOLE.aws.amazon.com/ec2').href).toBe(
      'https://console.aws.amazon.com/ec2',
    );
  });

  // SECURITY.md §6: every open-redirect shape falls back to the default.
  it.each([
    ['nothing', undefined],
    ['an empty string', ''],
    ['a protocol-relative URL', '//evil.example/'],
    ['a protocol-relative console URL', '//console.aws.amazon.com/'],
    ['a slash-backslash URL', '/\\evil.example'],
    ['a backslash-backslash URL', '\\\\evil.example'],
    ['a backslash after the scheme', 'https:/\\evil.example/'],
    ['backslashes as slashes', 'https:\\\\console.aws.amazon.com\\'],
    ['a backslash before @', 'https://console.aws.amazon.com\\@evil.example/'],
    ['a relative path', '/ec2/home'],
    ['user@host', 'https://console.aws.amazon.com@evil.example/'],
    ['userinfo on the console host', 'https://user:pass@console.aws.amazon.com/'],
    ['javascript:', 'javascript:alert(document.cookie)'],
    ['JavaScript: in capitals', 'JaVaScRiPt:alert(1)'],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
    ['plain http', 'http://console.aws.amazon.com/'],
    ['CR/LF', 'https://console.aws.amazon.com/\r\nLocation: https://evil.example/'],
    ['a tab inside the host', 'https://con\tsole.aws.amazon.com/'],
    ['a newline inside the host', 'https://console.aws.amazon.com.evil\n.example/'],
    ['a leading space', ' https://console.aws.amazon.com/'],
    ['a NUL byte', 'https://console.aws.amazon.com/\u0000'],
    ['a look-alike suffix', 'https://console.aws.amazon.com.evil.com/'],
    ['a look-alike prefix', 'https://evilconsole.aws.amazon.com/'],
    ['another AWS host', 'https://signin.aws.amazon.com/'],
    ['a Cyrillic look-alike', 'https://cоnsole.aws.amazon.com/'],
    ['a full-width look-alike', 'https://ｃonsole.aws.amazon.com/'],
    ['a punycode label', 'https://xn--80ak6aa92e.console.aws.amazon.com/'],
    ['a punycode look-alike', 'https://xn--cnsole-2ve.aws.amazon.com/'],
    ['a trailing dot', 'https://console.aws.amazon.com./'],
    ['another port', 'https://console.aws.amazon.com:8443/'],
    ['an IP address', 'https://54.239.28.85/'],
    ['the console in the query', 'https://evil.example/?https://console.aws.amazon.com/'],
    ['the console in the fragment', 'https://evil.example/#https://console.aws.amazon.com/'],
    ['an over-long URL', `https://console.aws.amazon.com/${'a'.repeat(2100)}`],
    ['not a URL', 'not a url'],
  ])('falls back to the default for %s', (_case, raw) => {
    expect(parseConsoleDestination(raw).href).toBe(DEFAULT_CONSOLE_DESTINATION);
  });

  it('narrows to the allowed hosts given', () => {
    const opts = { allowedHosts: ['console.aws.amazon.com'] };
    expect(parseConsoleDestination('https://console.amazonaws.cn/', opts).href).toBe(
      DEFAULT_CONSOLE_DESTINATION,
    );
    expect(parseConsoleDestination('https://eu-west-1.console.aws.amazon.com/', opts).href).toBe(
      'https://eu-west-1.console.aws.amazon.com/',
    );
  });

  it('falls back to the partition console given', () => {
    const fallback = new URL('https://console.amazonaws-us-gov.com/');
    expect(parseConsoleDestination('//evil', { fallback }).href).toBe(fallback.href);
    // A fresh URL each time: callers may not mutate the shared fallback.
    expect(parseConsoleDestination(undefined, { fallback })).not.toBe(fallback);
  });
});

describe('isAllowedConsoleDestination', () => {
  it('accepts console URLs and URL objects', () => {
    expect(isAllowedConsoleDestination('https://console.aws.amazon.com/')).toBe(true);
    expect(isAllowedConsoleDestination(new URL('https://ap-south-1.console.aws.amazon.com/'))).toBe(
      true,
    );
  });

  it('refuses everything else', () => {
    expect(isAllowedConsoleDestination(new URL('https://evil.example/'))).toBe(false);
    expect(isAllowedConsoleDestination('https://console.aws.amazon.com.evil.com/')).toBe(false);
    expect(
      isAllowedConsoleDestination('https://console.aws.amazon.com/', ['console.amazonaws.cn']),
    ).toBe(false);
  });
});
