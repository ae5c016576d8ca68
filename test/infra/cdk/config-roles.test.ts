import { describe, expect, it } from 'vitest';
import { rolesFromConfig } from '../../../infra/cdk/config-roles.js';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { sampleConfigInput } from '../../fixtures/gateway-config.sample.js';

describe('rolesFromConfig', () => {
  it('lists each granted role once with the longest duration of its grants, within 1-12 h', () => {
    const input = sampleConfigInput();
    input.defaults = { sessionDurationSeconds: 900 };
    input.idps[0]!.rules!.push({
      id: 'admins-long',
      priority: 300,
      effect: 'allow',
      when: [],
      grant: {
        roleArn: 'arn:aws:iam::111122223333:role/Admin',
        sessionDurationSeconds: 43200,
      },
    });
    input.idps[0]!.rules!.push({
      id: 'pathed',
      priority: 301,
      effect: 'allow',
      when: [],
      grant: { roleArn: 'arn:aws:iam::444455556666:role/team/a/Dev', sessionDurationSeconds: 7200 },
    });
    const roles = rolesFromConfig(parseGatewayConfig(input));
    const byName = Object.fromEntries(roles.map((r) => [`${r.account}${r.path}${r.name}`, r]));
    expect(byName['111122223333/Admin']).toEqual({
      account: '111122223333',
      path: '/',
      name: 'Admin',
      maxSessionSeconds: 43200,
      grantedBy: ['okta/admins', 'okta/admins-long'],
    });
    // A 900 s default still needs IAM's minimum MaxSessionDuration of 1 h.
    expect(byName['111122223333/ReadOnly']?.maxSessionSeconds).toBe(3600);
    expect(byName['444455556666/team/a/Dev']).toMatchObject({ path: '/team/a/', name: 'Dev' });
    // Deny rules grant nothing.
    expect(roles.flatMap((r) => r.grantedBy)).not.toContain('okta/contractors');
  });
});
