import { parseRoleArn } from '../aws-rules.js';
import type { AccountProfile, DenyRule, GatewayDefaults, Rule } from '../config/index.js';
import { createMapper, type Mapper } from './engine.js';
import { loadRegexEngine, type RegexEngine } from './regex.js';
import { needsRegexEngine } from './rule-set.js';

/** Where a mapper's defaults, gateway rules and account aliases come from (the attribute store). */
export interface MapperSource {
  getDefaults(): Promise<GatewayDefaults>;
  getAccounts(accountIds: readonly string[]): Promise<AccountProfile[]>;
  /** The gateway-wide deny rules, evaluated with every IdP's rules. */
  getGatewayRules(): Promise<readonly DenyRule[]>;
}

/**
 * One compiled mapper per loaded IdP config and gateway rule set: the cached attribute store hands
 * back the same frozen objects until it reloads, so the mapper lives exactly as long as both
 * (compiling 1,000 rules costs ~10 ms, evaluating them ~0.6 ms). Only the accounts the IdP's
 * allow rules grant roles in are read, for the aliases the role picker shows. The RE2 engine is
 * loaded only for rule sets with a `matches` condition (`loadRegex`, injected for tests).
 * @throws whatever the source throws (a stored rule that fails validation fails the sign-in).
 * @example const mapperFor = createMapperCache(attributes); (await mapperFor(idp)).mapGrants(identity)
 */
export const createMapperCache = (
  source: MapperSource,
  { loadRegex = loadRegexEngine }: { loadRegex?: () => Promise<RegexEngine> } = {},
) => {
  const mappers = new WeakMap<object, WeakMap<object, Mapper>>();
  return async (idp: { readonly rules: readonly Rule[] }): Promise<Mapper> => {
    // Read every time (the cached store answers from memory): a gateway rule change reaches a
    // warm container as soon as the store reloads, even if the IdP's own config did not change.
    const gatewayRules = await source.getGatewayRules();
    let byGateway = mappers.get(idp);
    if (!byGateway) {
      byGateway = new WeakMap();
      mappers.set(idp, byGateway);
    }
    let mapper = byGateway.get(gatewayRules);
    if (!mapper) {
      const accountIds = [
        ...new Set(
          idp.rules.flatMap((r) =>
            r.effect === 'allow' ? [parseRoleArn(r.grant.roleArn)?.accountId ?? ''] : [],
          ),
        ),
      ].filter(Boolean);
      const [defaults, accounts, regex] = await Promise.all([
        source.getDefaults(),
        source.getAccounts(accountIds),
        needsRegexEngine({ rules: idp.rules, gatewayRules }) ? loadRegex() : undefined,
      ]);
      mapper = createMapper({
        rules: idp.rules,
        gatewayRules,
        defaults,
        accounts,
        ...(regex ? { regex } : {}),
      });
      byGateway.set(gatewayRules, mapper);
    }
    return mapper;
  };
};
