import { describe, expect, it } from 'vitest';
import { resolveCliRole } from '../../../shared/cli/index.js';
import type { Grant } from '../../../shared/mapping/index.js';

const grant = (id: string, label: string, accountId: string, accountAlias?: string): Grant =>
  ({
    id,
    label,
    accountId,
    ...(accountAlias ? { accountAlias } : {}),
    roleArn: `arn:aws:iam::${accountId}:role/${label}`,
    durationSeconds: 3600,
    tags: [],
  }) as unknown as Grant;

const grants = [
  grant('g-dev-sandbox', 'Developer', '111111111111', 'sandbox'),
  grant('g-dev-prod', 'Developer', '222222222222', 'production'),
  grant('g-admin', 'Admin', '222222222222', 'production'),
  grant('g-ro', 'ReadOnly', '333333333333'),
];

describe('resolveCliRole', () => {
  it.each([
    ['its id', 'g-admin', 'g-admin'],
    ['its role ARN', 'arn:aws:iam::222222222222:role/Admin', 'g-admin'],
    ['alias/label', 'sandbox/Developer', 'g-dev-sandbox'],
    ['account id/label', '222222222222/Developer', 'g-dev-prod'],
    ['a unique label', 'Admin', 'g-admin'],
    ['account id/label without an alias', '333333333333/ReadOnly', 'g-ro'],
    ['another case', 'PRODUCTION/developer', 'g-dev-prod'],
  ])('finds a grant by %s', (_, wanted, id) => {
    expect(resolveCliRole(grants, wanted).id).toBe(id);
  });

  it('refuses a label several grants share (cli_role_ambiguous)', () => {
    expect(() => resolveCliRole(grants, 'Developer')).toThrow(
      expect.objectContaining({ code: 'cli_role_ambiguous' }),
    );
  });

  it.each([
    ['nothing like it', 'Billing'],
    ['empty', ''],
    ['oversize', 'x'.repeat(300)],
  ])('refuses %s (grant_not_available)', (_, wanted) => {
    expect(() => resolveCliRole(grants, wanted)).toThrow(
      expect.objectContaining({ code: 'grant_not_available', status: 403 }),
    );
  });

  it('finds nothing once the grant is gone (the rules changed)', () => {
    expect(() => resolveCliRole(grants.slice(1), 'g-dev-sandbox')).toThrow(
      expect.objectContaining({ code: 'grant_not_available' }),
    );
  });
});
