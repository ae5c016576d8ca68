import { describe, expect, it } from 'vitest';
import {
  accountKey,
  createTableInputs,
  gatewayDefaultsKey,
  idpConfigKey,
  ruleKey,
  STATE_KEY_PREFIXES,
  STATE_TABLE,
  stateKey,
  stateKeyKind,
} from '../../../shared/store/index.js';
import { isManagedAttributeKey } from '../../../shared/store/table-schema.js';

describe('attribute item keys', () => {
  it('builds IdP, rule, account and defaults keys with type prefixes', () => {
    expect(gatewayDefaultsKey()).toEqual({ pk: 'GATEWAY', sk: 'DEFAULTS' });
    expect(idpConfigKey('okta')).toEqual({ pk: 'IDP#okta', sk: 'CONFIG' });
    expect(ruleKey('okta', 10, 'admins')).toEqual({ pk: 'IDP#okta', sk: 'RULE#000010#admins' });
    expect(ruleKey('okta', 999_999, 'last').sk).toBe('RULE#999999#last');
    expect(accountKey('111122223333')).toEqual({ pk: 'ACCOUNT#111122223333', sk: 'PROFILE' });
  });

  it('zero-pads priorities so that sort keys sort numerically, settings first', () => {
    const sks = [ruleKey('i', 200, 'b').sk, ruleKey('i', 9, 'z').sk, ruleKey('i', 10, 'a').sk];
    expect([...sks, idpConfigKey('i').sk].sort()).toEqual([
      'CONFIG',
      'RULE#000009#z',
      'RULE#000010#a',
      'RULE#000200#b',
    ]);
  });

  it.each([
    ['IDP#okta', true],
    ['ACCOUNT#111122223333', true],
    ['GATEWAY', true],
    ['GATEWAYS', false],
    ['GATEWAY#keys', false],
    ['META#schema', false],
    ['idp#okta', false],
  ])('config-as-code owns partition %s: %s', (pk, owned) => {
    expect(isManagedAttributeKey({ pk, sk: 'X' })).toBe(owned);
  });

  it.each([-1, 1_000_000, 1.5, Number.NaN])('refuses priority %s', (priority) => {
    expect(() => ruleKey('okta', priority, 'r')).toThrow(RangeError);
  });
});

describe('state keys', () => {
  it('prefixes ids with their kind', () => {
    expect(stateKey(STATE_KEY_PREFIXES.transaction, 'abc')).toBe('TXN#abc');
    expect(Object.values(STATE_KEY_PREFIXES).sort()).toEqual([
      'ATTEMPTS#',
      'AUTHNREQ#',
      'CLICODE#',
      'CODE#',
      'CONFIRM#',
      'DEVICE#',
      'PERSON#',
      'REPLAY#',
      'REVOKED#',
      'SESSION#',
      'TXN#',
      'USERCODE#',
    ]);
  });

  it('refuses empty and oversized ids (a partition key holds 2048 bytes)', () => {
    expect(() => stateKey(STATE_KEY_PREFIXES.code, '')).toThrow(RangeError);
    expect(() => stateKey(STATE_KEY_PREFIXES.code, 'é'.repeat(513))).toThrow(RangeError);
    expect(stateKey(STATE_KEY_PREFIXES.code, 'a'.repeat(1024))).toHaveLength(1029);
  });

  it('names a key by its kind only (the id may be a secret)', () => {
    expect(stateKeyKind('CODE#s3cret')).toBe('CODE#');
    expect(stateKeyKind('garbage')).toBe('(unknown)');
  });
});

describe('createTableInputs', () => {
  it('describes both tables: on-demand, pk+sk attributes, pk-only state', () => {
    const [attributes, state] = createTableInputs({
      attributeTableName: 'attrs',
      stateTableName: 'state',
    });
    expect(attributes).toEqual({
      TableName: 'attrs',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    });
    expect(state).toEqual({
      TableName: 'state',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    });
    expect(STATE_TABLE.timeToLiveAttribute).toBe('expiresAt');
  });
});
