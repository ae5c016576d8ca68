import { describe, expect, it } from 'vitest';
import { createSecretResolver } from '../../../shared/oidc/index.js';

describe('createSecretResolver', () => {
  it('env: and file: references resolve; the value is trimmed from files', async () => {
    const resolve = createSecretResolver({
      readEnv: (n) => (n === 'S' ? 'from-env' : undefined),
      readFile: async (p) => (p === '/s' ? ' from-file\n' : ''),
    });
    expect(await resolve('env:S')).toBe('from-env');
    expect(await resolve('file:/s')).toBe('from-file');
  });

  it.each([
    ['an unset variable', 'env:NOPE'],
    ['an empty file', 'file:/empty'],
    ['an unreadable file', 'file:/missing'],
    [
      'a Secrets Manager ARN without a port',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:x',
    ],
    ['an SSM parameter without a port', 'ssm:/fedgate/x'],
    ['an unknown kind', 'vault:x'],
  ])('%s is a configuration error that does not echo the value', async (_, ref) => {
    const resolve = createSecretResolver({
      readEnv: () => undefined,
      readFile: async (p) => {
        if (p === '/missing') throw new Error('ENOENT');
        return '';
      },
    });
    await expect(resolve(ref)).rejects.toMatchObject({ code: 'server_error' });
  });

  it('file: without a reader is refused', async () => {
    await expect(
      createSecretResolver({ readEnv: () => undefined })('file:/x'),
    ).rejects.toMatchObject({
      code: 'server_error',
    });
  });

  it('AWS references go through the port, cached per container until the TTL', async () => {
    let calls = 0;
    let now = 0;
    const resolve = createSecretResolver({
      readEnv: () => undefined,
      aws: async (ref) => `${ref.slice(0, 4)}-${++calls}`,
      cacheSeconds: 60,
      clock: () => now,
    });
    expect(await resolve('ssm:/x')).toBe('ssm:-1');
    expect(await resolve('ssm:/x')).toBe('ssm:-1');
    now = 61_000;
    expect(await resolve('ssm:/x')).toBe('ssm:-2');
  });
});
