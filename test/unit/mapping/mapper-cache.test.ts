import { describe, expect, it, vi } from 'vitest';
import type { DenyRule } from '../../../shared/config/index.js';
import type { RegexEngine } from '../../../shared/mapping/index.js';
import { createMapperCache } from '../../../shared/mapping/index.js';
import { accounts, allow, defaults, deny, identity, role } from './fixtures.js';

const everyone = [{ claim: 'groups', op: 'contains', value: 'dev' }] as const;

describe('createMapperCache', () => {
  const source = (gatewayRules: readonly DenyRule[] = []) => ({
    getDefaults: vi.fn(async () => defaults),
    getAccounts: vi.fn(async (_ids: readonly string[]) => accounts),
    getGatewayRules: vi.fn(async () => gatewayRules),
  });

  it('compiles once per IdP config object and reads only the accounts its allow rules grant in', async () => {
    const s = source();
    const mapperFor = createMapperCache(s);
    const idp = {
      rules: [
        allow('dev', 10, [...everyone], { roleArn: role('Dev', '111122223333') }),
        allow('ops', 20, [...everyone], { roleArn: role('Ops', '444455556666') }),
        deny(
          'no-prod',
          1,
          [{ claim: 'groups', op: 'equals', value: 'x', quantifier: 'any' }],
          [role('P', '777788889999')],
        ),
      ],
    };
    const first = await mapperFor(idp);
    expect(await mapperFor(idp)).toBe(first);
    expect(s.getDefaults).toHaveBeenCalledTimes(1);
    expect(s.getAccounts).toHaveBeenCalledTimes(1);
    expect(s.getAccounts.mock.calls[0]?.[0]).toEqual(['111122223333', '444455556666']);
    const grants = first.mapGrants(identity({ groups: ['dev'] })).grants;
    expect(grants.map((g) => [g.roleArn, g.accountAlias])).toEqual([
      [role('Dev', '111122223333'), 'prod'],
      [role('Ops', '444455556666'), undefined],
    ]);
  });

  it('compiles again for a reloaded config (a new object), so rule edits take effect', async () => {
    const s = source();
    const mapperFor = createMapperCache(s);
    const before = { rules: [allow('dev', 10, [...everyone])] };
    const after = {
      rules: [allow('dev', 10, [{ claim: 'groups', op: 'contains', value: 'ops' }])],
    };
    expect((await mapperFor(before)).mapGrants(identity({ groups: ['dev'] })).grants).toHaveLength(
      1,
    );
    expect((await mapperFor(after)).mapGrants(identity({ groups: ['dev'] })).grants).toHaveLength(
      0,
    );
    expect(s.getDefaults).toHaveBeenCalledTimes(2);
  });

  it('evaluates the gateway rules with the IdP rules, and compiles again when they reload', async () => {
    const gate = deny('no-dev', 5, [
      { claim: 'groups', op: 'equals', value: 'DEV', quantifier: 'any' },
    ]);
    let current: readonly DenyRule[] = [];
    const s = { ...source(), getGatewayRules: vi.fn(async () => current) };
    const mapperFor = createMapperCache(s);
    const idp = { rules: [allow('dev', 10, [...everyone])] };
    expect((await mapperFor(idp)).mapGrants(identity({ groups: ['dev'] })).grants).toHaveLength(1);
    current = [gate as DenyRule];
    const result = (await mapperFor(idp)).mapGrants(identity({ groups: ['dev'] }));
    expect(result).toMatchObject({ grants: [], denied: true, deniedBy: ['gateway:no-dev'] });
    expect(s.getGatewayRules).toHaveBeenCalledTimes(2);
  });

  it('loads the regex engine only for rule sets with a matches condition', async () => {
    const { loadRegexEngine } = await import('../../../shared/mapping/index.js');
    const loadRegex = vi.fn(loadRegexEngine);
    const mapperFor = createMapperCache(source(), { loadRegex });
    await mapperFor({ rules: [allow('dev', 10, [...everyone])] });
    expect(loadRegex).not.toHaveBeenCalled();
    const matching = {
      rules: [allow('dev', 10, [{ claim: 'groups', op: 'matches', value: 'd.v' }])],
    };
    const grants = (await mapperFor(matching)).mapGrants(identity({ groups: ['dev'] })).grants;
    expect(grants).toHaveLength(1);
    expect(loadRegex).toHaveBeenCalledTimes(1);
    const engine: RegexEngine = await loadRegex.mock.results[0]?.value;
    expect(typeof engine.compile).toBe('function');
  });
});
