import { describe, expect, it } from 'vitest';
import { suggestKey } from '../../../infra/config-file.js';

describe('suggestKey ("did you mean")', () => {
  const keys = ['entityId', 'signingCertificates', 'allowedTenants', 'metadataFile', 'ssoUrl'];

  it.each([
    ['entityID', 'entityId'],
    ['allowedTenant', 'allowedTenants'],
    ['signingCertificate', 'signingCertificates'],
    ['metdataFile', 'metadataFile'],
    ['ssoURL', 'ssoUrl'],
  ])('suggests %s → %s', (typo, key) => {
    expect(suggestKey(typo, keys)).toBe(key);
  });

  it('suggests nothing for a key unlike any (a third of the length at most)', () => {
    expect(suggestKey('surprise', keys)).toBeUndefined();
    expect(suggestKey('sso', keys)).toBeUndefined();
    expect(suggestKey('x', ['id'])).toBeUndefined();
  });

  it('takes the closest of several', () => {
    expect(suggestKey('sesionTags', ['sessionName', 'sessionTags'])).toBe('sessionTags');
    expect(suggestKey('clientid', ['clientId', 'clientAuth'])).toBe('clientId');
  });
});
