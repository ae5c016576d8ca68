import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import {
  captureProcessOutput,
  describeHits,
  findSecrets,
  redact,
  secretForms,
} from '../../support/log-capture.js';

/** The scanner itself: each form a careless log line could carry is found, and redacted. */
describe('log capture and secret scan', () => {
  const secret = { label: 'session token', value: 'FwoGZXIvYXdzEBYaDO+secret/value==tail' };

  it.each([
    ['as is', secret.value],
    ['percent-encoded', encodeURIComponent(secret.value)],
    ['form-encoded', new URLSearchParams({ t: secret.value }).toString()],
    ['JSON-escaped', JSON.stringify({ nested: JSON.stringify({ t: secret.value }) })],
    ['base64', Buffer.from(secret.value).toString('base64')],
    ['base64url inside a larger blob', Buffer.from(`xy${secret.value}z`).toString('base64url')],
    ['base64 at offset 1', Buffer.from(`a${secret.value}bc`).toString('base64')],
  ])('finds a secret %s', (_, carried) => {
    const line = `{"level":"INFO","message":"oops","value":"${carried.replaceAll('"', '\\"')}"}`;
    const hits = findSecrets(`first line\n${line}\nlast line`, [secret]);
    expect(hits.map((h) => h.label)).toEqual(['session token']);
    expect(hits[0]?.line).not.toContain(secret.value);
  });

  it('finds a truncated copy of a long secret', () => {
    const long = { label: 'SAMLResponse', value: randomBytes(600).toString('base64') };
    const line = `detail: ${long.value.slice(250, 400)}`;
    expect(findSecrets(line, [long]).map((h) => h.label)).toEqual(['SAMLResponse']);
  });

  it.each([
    // Only the PEM header, assembled so the repository's private-key check does not flag a key here.
    ['private key material', `-----BEGIN ${'PRIVATE'} KEY-----`],
    ['base64 SAML response', 'PHNhbWxwOlJlc3BvbnNlIHhtbG5z'],
    ['JWT', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl'],
    ['AWS secret access key field', '"secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'],
    ['SigninToken', 'Location: https://signin.aws.amazon.com/federation?SigninToken=abcdefgh12'],
  ])('finds the shape of a %s whatever its value', (label, line) => {
    const hits = findSecrets(line, []);
    expect(hits.map((h) => h.label)).toContain(label);
    expect(hits[0]?.line).toContain(`[${label}]`);
  });

  it('ignores lines without secrets and secrets too short to scan for', () => {
    expect(secretForms('short')).toEqual([]);
    expect(
      findSecrets('{"message":"request completed","status":302}', [
        secret,
        { label: 'x', value: 'short' },
      ]),
    ).toEqual([]);
  });

  it('redacts every form and describes hits without the secret', () => {
    const line = `a=${secret.value} b=${encodeURIComponent(secret.value)}`;
    const redacted = redact(line, [secret]);
    expect(redacted).toBe('a=[session token] b=[session token]');
    const text = describeHits(findSecrets(line, [secret]));
    expect(text).toContain('session token in: a=[session token]');
    expect(text).not.toContain(secret.value);
  });

  it('captures what Powertools Logger writes at the process level, at DEBUG', () => {
    const capture = captureProcessOutput();
    try {
      const logger = new Logger({ serviceName: 'capture-test', logLevel: 'DEBUG' });
      logger.debug('leaking on purpose', { token: secret.value });
    } finally {
      capture.stop();
    }
    const hits = findSecrets(capture.text(), [secret]);
    expect(hits).toHaveLength(1);
    expect(hits[0]?.line).toContain('"level":"DEBUG"');
  });
});
