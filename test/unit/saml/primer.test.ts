import { describe, expect, it, vi } from 'vitest';
import { PRIMER_SAMPLE } from '../../../shared/saml/primer-sample.js';

const sample = vi.hoisted(() => ({ override: undefined as undefined | Record<string, unknown> }));
vi.mock('../../../shared/saml/primer-sample.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../shared/saml/primer-sample.js')>();
  return {
    get PRIMER_SAMPLE() {
      return { ...real.PRIMER_SAMPLE, ...sample.override };
    },
  };
});
const { primeSamlVerifier } = await import('../../../shared/saml/primer.js');

/** The sample's XML with one change, re-encoded. */
const tampered = (edit: (xml: string) => string) =>
  Buffer.from(edit(Buffer.from(PRIMER_SAMPLE.samlResponseB64, 'base64').toString())).toString(
    'base64',
  );

describe('primeSamlVerifier (the ACS init self-test)', () => {
  it('verifies the built-in sample through the whole validation order', () => {
    sample.override = undefined;
    const result = primeSamlVerifier();
    expect(result).toMatchObject({ ok: true });
    expect(result.error).toBeUndefined();
    expect(result.ms).toBeGreaterThan(0);
  });

  it('is a real known-answer test: a changed attribute value fails the digest, and says so', () => {
    sample.override = {
      samlResponseB64: tampered((xml) =>
        xml.replace('platform-engineering', 'platform-engineerinG'),
      ),
    };
    expect(primeSamlVerifier()).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^saml_signature_invalid: .*digest mismatch/),
    });
  });

  it('fails on another certificate, and at a time outside the sample window, without throwing', () => {
    sample.override = { certificateB64: PRIMER_SAMPLE.certificateB64.replace(/A/, 'B') };
    expect(primeSamlVerifier().ok).toBe(false);
    sample.override = { now: PRIMER_SAMPLE.now + 86_400 };
    expect(primeSamlVerifier()).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^saml_/),
    });
    sample.override = undefined;
  });

  it('ships no private key: only the certificate and the signed document', () => {
    const text = JSON.stringify(PRIMER_SAMPLE);
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(Object.keys(PRIMER_SAMPLE).sort()).toEqual(
      ['acsUrl', 'certificateB64', 'idpEntityId', 'now', 'samlResponseB64', 'spEntityId'].sort(),
    );
  });
});
