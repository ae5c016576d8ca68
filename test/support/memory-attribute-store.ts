import type { GatewayConfig } from '../../shared/config/index.js';
import { type AttributeStore, settingsOf } from '../../shared/store/index.js';

/** An AttributeStore over a parsed gateway config, for unit tests of flows. */
export const createMemoryAttributeStore = (config: GatewayConfig): AttributeStore => ({
  getIdp: async (id) => config.idps.find((i) => i.id === id),
  listIdps: async () =>
    config.idps.map(({ id, displayName, protocol, listed }) => ({
      id,
      displayName,
      protocol,
      listed,
    })),
  getAccounts: async (ids) => config.accounts.filter((a) => ids.includes(a.id)),
  getDefaults: async () => config.defaults,
  getSettings: async () => settingsOf(config),
  getGatewayRules: async () => config.gatewayRules,
});
