import type { AwsSamlGrant, LocalKeyMaterial } from '../../../shared/issuer/index.js';
import { createTestKeyPair } from '../../kit/keys.js';

/** fedgate's IdP entity id in tests (the default shape: `<publicBaseUrl>/aws/saml-metadata.xml`). */
export const ISSUER = 'https://sso.example.com/aws/saml-metadata.xml';
export const GLOBAL_RECIPIENT = 'https://signin.aws.amazon.com/saml';
export const REGIONAL_RECIPIENT = 'https://eu-west-1.signin.aws.amazon.com/saml';
/** An opaque NameID, as a caller derives it from IdP + subject (base64url of a hash). */
export const NAME_ID = 'p2V1zQ8yXc4m0aLr9tB3kw';
/** 2026-03-01T12:00:00.250Z: a fixed clock, with milliseconds to show they are cut. */
export const NOW = Date.UTC(2026, 2, 1, 12, 0, 0, 250);

/** A grant as the mapping engine issues it: tags, transitive keys and a source identity. */
export const sampleGrant = (overrides: Partial<AwsSamlGrant> = {}): AwsSamlGrant => ({
  roleArn: 'arn:aws:iam::111122223333:role/platform/Developer',
  accountId: '111122223333',
  sessionName: 'jane.doe@example.com',
  sourceIdentity: 'jdoe',
  durationSeconds: 3600,
  tags: [
    { key: 'team', value: 'platform' },
    { key: 'costCenter', value: 'cc-4711' },
    { key: 'department', value: 'Platform Engineering' },
  ],
  transitiveTagKeys: ['team', 'costCenter'],
  ...overrides,
});

let materials: Promise<[LocalKeyMaterial, LocalKeyMaterial]> | undefined;

/** Two RSA-2048 keys made once per test file: the active key and the next one (rotation). */
export const testKeyMaterials = (): Promise<[LocalKeyMaterial, LocalKeyMaterial]> => {
  materials ??= Promise.all([
    createTestKeyPair('fedgate test key (active)'),
    createTestKeyPair('fedgate test key (next)'),
  ]);
  return materials;
};
