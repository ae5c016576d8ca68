import { describe, expect, it } from 'vitest';
import { loadSigningKeys } from '../../../shared/issuer/index.js';
import { generateTestKeyMaterial } from '../../support/issuer/keys.js';

describe('loadSigningKeys', () => {
  it('reads PEM bundles: the first key signs, all are published', async () => {
    const [a, b] = await Promise.all([generateTestKeyMaterial('a'), generateTestKeyMaterial('b')]);
    const files: Record<string, string> = {
      '/keys/a.pem': a.privateKeyPem + a.certificatePem,
      '/keys/b.pem': b.certificatePem + b.privateKeyPem,
    };
    const keys = await loadSigningKeys({
      refs: ['file:/keys/a.pem', 'file:/keys/b.pem'],
      readFile: async (p) => files[p] as string,
    });
    const published = await keys.published();
    expect(published).toHaveLength(2);
    expect((await keys.active()).kid).toBe(published[0]?.kid);
    expect(published[1]?.certificatePem).toContain('BEGIN CERTIFICATE');
  });

  it.each([
    ['a kms: reference (issue #5)', ['kms:1234'], {}],
    ['an unreadable file', ['file:/nope.pem'], {}],
    [
      'a file without its certificate',
      ['file:/k.pem'],
      { '/k.pem': '-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n' },
    ],
  ])(
    'refuses %s with issuer_misconfigured, naming no secret',
    async (_, refs, files: Record<string, string>) => {
      const readFile = async (p: string) => {
        if (!(p in files)) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
        return files[p] as string;
      };
      const err = await loadSigningKeys({ refs, readFile }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'issuer_misconfigured', status: 500 });
      expect(String((err as Error).message)).not.toContain('PRIVATE KEY');
    },
  );
});
