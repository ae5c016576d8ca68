import { describe, expect, it } from 'vitest';
import {
  checkDuration,
  checkRoleArn,
  checkSessionName,
  checkSourceIdentity,
  checkTagKey,
  checkTagValue,
  parseRoleArn,
} from '../../shared/aws-rules.js';

const ok = undefined;
const fails = expect.any(String);

describe('checkSessionName (RoleSessionName: 2-64 of [A-Za-z0-9_+=,.@-])', () => {
  it.each([
    ['', fails],
    ['a', fails],
    ['ab', ok],
    ['a'.repeat(64), ok],
    ['a'.repeat(65), fails],
    ['Az09_+=,.@-', ok],
    ['jane doe', fails],
    ['jane/doe', fails],
    ['jane:doe', fails],
    ['josé', fails],
    ['jane!', fails],
    ['ab\n', fails],
    ['a\u0000b', fails],
  ])('%j → %s', (value, expected) => {
    expect(checkSessionName(value)).toEqual(expected);
  });
});

describe('checkSourceIdentity (2-64 of the session-name charset, not aws:)', () => {
  it.each([
    ['a', fails],
    ['ab', ok],
    ['a'.repeat(64), ok],
    ['a'.repeat(65), fails],
    ['jane.doe@example.com', ok],
    ['aws:jane', fails],
    ['AWS:jane', fails],
    ['aws-jane', ok],
    ['awsjane', ok],
    ['jane doe', fails],
  ])('%j → %s', (value, expected) => {
    expect(checkSourceIdentity(value)).toEqual(expected);
  });
});

describe('checkTagKey (1-128 of the tag charset, not aws:)', () => {
  it.each([
    ['', fails],
    ['k', ok],
    ['k'.repeat(128), ok],
    ['k'.repeat(129), fails],
    ['aws:team', fails],
    ['AWS:team', fails],
    ['Aws:Team', fails],
    ['awsteam', ok],
    ['cost-center/eu:1=a+b@c_d.e', ok],
    ['Größe', ok],
    ['team name', ok],
    ['team,name', fails],
    ['team<name>', fails],
    ['team*', fails],
  ])('%j → %s', (value, expected) => {
    expect(checkTagKey(value)).toEqual(expected);
  });
});

describe('checkTagValue (0-256 of the tag charset)', () => {
  it.each([
    ['', ok],
    ['v'.repeat(256), ok],
    ['v'.repeat(257), fails],
    ['a,b', fails],
    ['platform:eu/1=a+b@c_d.e-f', ok],
    ['Zürich 東京 ٣', ok],
    ['a;b', fails],
    ['<x>', fails],
    [']]>', fails],
    ['a\u0000b', fails],
    ['a"b', fails],
  ])('%j → %s', (value, expected) => {
    expect(checkTagValue(value)).toEqual(expected);
  });
});

describe('checkDuration (integer seconds, 900-43200)', () => {
  it.each([
    [899, fails],
    [900, ok],
    [3600, ok],
    [43_200, ok],
    [43_201, fails],
    [900.5, fails],
    [Number.NaN, fails],
    [Number.POSITIVE_INFINITY, fails],
    [-900, fails],
  ])('%d → %s', (value, expected) => {
    expect(checkDuration(value)).toEqual(expected);
  });
});

describe('parseRoleArn / checkRoleArn', () => {
  it('parses the partition, account, path and name', () => {
    expect(parseRoleArn('arn:aws:iam::111122223333:role/Admin')).toEqual({
      partition: 'aws',
      accountId: '111122223333',
      path: '/',
      name: 'Admin',
    });
    expect(parseRoleArn('arn:aws:iam::111122223333:role/team/ops/Deploy+Role')).toEqual({
      partition: 'aws',
      accountId: '111122223333',
      path: '/team/ops/',
      name: 'Deploy+Role',
    });
  });

  it.each([
    'arn:aws:iam::111122223333:role/Admin',
    'arn:aws-us-gov:iam::111122223333:role/Admin',
    'arn:aws-cn:iam::111122223333:role/Admin',
    'arn:aws:iam::111122223333:role/a/b/c/Admin',
    `arn:aws:iam::111122223333:role/${'r'.repeat(64)}`,
    'arn:aws:iam::111122223333:role/with_+=.@-chars',
  ])('accepts %s', (arn) => {
    expect(checkRoleArn(arn)).toBeUndefined();
    expect(parseRoleArn(arn)).toBeDefined();
  });

  it.each([
    ['11 digits', 'arn:aws:iam::11112222333:role/Admin'],
    ['13 digits', 'arn:aws:iam::1111222233334:role/Admin'],
    ['letters in the account', 'arn:aws:iam::11112222333a:role/Admin'],
    ['unknown partition', 'arn:aws-iso:iam::111122223333:role/Admin'],
    ['a user', 'arn:aws:iam::111122223333:user/Admin'],
    ['an STS session', 'arn:aws:sts::111122223333:assumed-role/Admin/jane'],
    ['a region', 'arn:aws:iam:eu-west-1:111122223333:role/Admin'],
    ['a name too long', `arn:aws:iam::111122223333:role/${'r'.repeat(65)}`],
    ['a space in the name', 'arn:aws:iam::111122223333:role/Ad min'],
    ['a trailing slash', 'arn:aws:iam::111122223333:role/Admin/'],
    ['no name', 'arn:aws:iam::111122223333:role/'],
    [
      'a comma in the name (IAM allows it; the SAML Role pair cannot)',
      'arn:aws:iam::111122223333:role/a,b',
    ],
    [
      'a second ARN after a comma',
      'arn:aws:iam::111122223333:role/Admin,arn:aws:iam::999999999999:saml-provider/x',
    ],
  ])('refuses %s', (_, arn) => {
    expect(checkRoleArn(arn)).toEqual(expect.any(String));
    expect(parseRoleArn(arn)).toBeUndefined();
  });

  it('refuses IAM Identity Center roles with their own reason', () => {
    const arn =
      'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123';
    expect(parseRoleArn(arn)).toBeUndefined();
    expect(checkRoleArn(arn)).toMatch(/AWSReservedSSO_/);
  });
});

describe('checkSessionValues', () => {
  const ok = {
    sessionName: 'alice',
    sourceIdentity: 'alice@example.com',
    durationSeconds: 3600,
    tags: [{ key: 'team', value: 'blue' }],
    transitiveTagKeys: ['team'],
  };

  it('accepts valid values and names each bad field without its value', async () => {
    const { checkSessionValues } = await import('../../shared/aws-rules.js');
    expect(checkSessionValues(ok)).toEqual([]);
    const problems = checkSessionValues({
      sessionName: 'a b',
      sourceIdentity: 'aws:x',
      durationSeconds: 899,
      tags: [
        { key: 'Team', value: 'a,b' },
        { key: 'team', value: 'c' },
      ],
      transitiveTagKeys: ['nope', 'Team', 'team'],
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'sessionName',
      'sourceIdentity',
      'durationSeconds',
      'tags[0].value',
      'tags[1].key',
      'transitiveTagKeys[0]',
      'transitiveTagKeys[2]',
    ]);
    expect(problems.join('\n')).not.toContain('a,b');
  });
});
