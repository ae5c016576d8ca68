import { describe, expect, it } from 'vitest';
import { checkRoleArn } from '../../../shared/aws-rules.js';
import { buildGatewayConfigJsonSchema } from '../../../shared/config/json-schema.js';

/**
 * The published JSON Schema is the editors' help for the config file: every key explains
 * itself on hover, and identifiers carry the patterns fedgate enforces.
 */

type Node = {
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node | boolean;
  oneOf?: Node[];
  anyOf?: Node[];
  allOf?: Node[];
  description?: string;
  pattern?: string;
};

/** Every key of the schema, by path (`[]` a list item, `*` a map value), with its node. */
const keysOf = (node: Node, path = '', out = new Map<string, Node[]>()) => {
  for (const branch of [...(node.oneOf ?? []), ...(node.anyOf ?? []), ...(node.allOf ?? [])]) {
    keysOf(branch, path, out);
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const at = path === '' ? key : `${path}.${key}`;
    out.set(at, [...(out.get(at) ?? []), child]);
    keysOf(child, at, out);
  }
  if (node.items) keysOf(node.items, `${path}[]`, out);
  if (typeof node.additionalProperties === 'object') {
    keysOf(node.additionalProperties, `${path}.*`, out);
  }
  return out;
};

const schema = buildGatewayConfigJsonSchema() as Node;
const keys = keysOf(schema);
const itemOf = (path: string) => keys.get(path)?.[0]?.items;

describe('the JSON Schema of the config file', () => {
  it('describes every key (editor hover help), wherever it sits', () => {
    expect(keys.size).toBeGreaterThan(90);
    const undescribed = [...keys].filter(([, nodes]) => nodes.some((n) => !n.description));
    expect(undescribed.map(([path]) => path)).toEqual([]);
    expect(keys.get('idps[].saml.idpInitiated')?.[0]?.description).toMatch(/^Sign-in started/);
    // a rule reads the same in both lists
    expect(keys.get('gatewayRules[].priority')?.[0]?.description).toBe(
      keys.get('idps[].rules[].priority')?.[0]?.description,
    );
  });

  it('carries the patterns of ids and account ids', () => {
    const pattern = (path: string) => new RegExp(keys.get(path)?.[0]?.pattern ?? '^$', 'u');
    expect(pattern('idps[].id').test('demo-okta')).toBe(true);
    expect(pattern('idps[].id').test('Demo_Okta')).toBe(false);
    expect(pattern('idps[].rules[].id').test('platform-admins')).toBe(true);
    expect(pattern('gatewayRules[].id').test('a b')).toBe(false);
    expect(pattern('accounts[].id').test('111111111111')).toBe(true);
    expect(pattern('accounts[].id').test('1111')).toBe(false);
    expect(pattern('spaClients[].id').test('demo-spa')).toBe(true);
    expect(pattern('idps[].oidc.clientSecretRef').test('ssm:/fedgate/google')).toBe(true);
  });

  const ARNS = [
    'arn:aws:iam::111111111111:role/Admin',
    'arn:aws:iam::111111111111:role/team/payments/Dev-1',
    'arn:aws-us-gov:iam::111111111111:role/x',
    'arn:aws-cn:iam::111111111111:role/a+b=c.d@e_f-g',
    'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123',
    'arn:aws:iam::111111111111:role/Admin,arn:aws:iam::111111111111:saml-provider/x',
    'arn:aws:iam::111111111111:role/pa,th/Admin',
    'arn:aws:iam::111111111111:user/Admin',
    'arn:aws:iam::1111:role/Admin',
    'arn:aws:sts::111111111111:assumed-role/Admin/x',
    'arn:aws:iam::111111111111:role/',
    `arn:aws:iam::111111111111:role/${'n'.repeat(65)}`,
  ];

  it.each([
    ['idps[].rules[].grant.roleArn', keys.get('idps[].rules[].grant.roleArn')?.[0]],
    ['idps[].rules[].roleArns[]', itemOf('idps[].rules[].roleArns')],
    ['gatewayRules[].roleArns[]', itemOf('gatewayRules[].roleArns')],
  ])('%s: the role ARN pattern accepts exactly what fedgate accepts', (_path, node) => {
    const re = new RegExp(node?.pattern ?? '^$', 'u');
    for (const arn of ARNS) expect([arn, re.test(arn)]).toEqual([arn, !checkRoleArn(arn)]);
  });

  it('spaClients[].allowedRoles[]: a role ARN or an account id', () => {
    const re = new RegExp(itemOf('spaClients[].allowedRoles')?.pattern ?? '^$', 'u');
    expect(re.test('111111111111')).toBe(true);
    expect(re.test('arn:aws:iam::111111111111:role/Admin')).toBe(true);
    expect(re.test('arn:aws:iam::111111111111:user/Admin')).toBe(false);
  });
});
