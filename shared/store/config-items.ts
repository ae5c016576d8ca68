import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { ConfigError, type GatewayConfig, type GatewaySettings } from '../config/index.js';
import {
  ATTRIBUTE_ITEM_PROJECTION,
  type AttributeItem,
  canonicalJson,
  marshalAttributeItem,
  marshalAttributeKey,
  type StoredAttributeItem,
  unmarshalAttributeItem,
} from './attribute-item.js';
import { writeAll } from './batch.js';
import { scanAll } from './paginate.js';
import type { DynamoPort } from './ports.js';
import {
  type AttributeItemKey,
  accountKey,
  gatewayDefaultsKey,
  gatewayRuleKey,
  gatewaySettingsKey,
  idpConfigKey,
  isManagedAttributeKey,
  ruleKey,
  spaClientKey,
} from './table-schema.js';

/** What it takes to bring the attribute table to a config: items to write and keys to delete. */
export interface AttributeItemDiff {
  puts: AttributeItem[];
  deletes: AttributeItemKey[];
}

// DynamoDB items are at most 400 KB, names and values included; keep a margin for the key and
// attribute names. Only an IdP with a huge inline metadataXml can get near it.
const MAX_ITEM_BYTES = 400 * 1024 - 2048;

/** The gateway-wide settings item's content: what pages show beside the grants. */
export const settingsOf = (config: GatewayConfig): GatewaySettings => ({
  portal: config.portal,
  ...(config.support ? { support: config.support } : {}),
});

const keyString = (key: AttributeItemKey) => `${key.pk}\u0000${key.sk}`;

/**
 * The attribute-table items of a validated gateway config: one for its `defaults`
 * (`GATEWAY` / `DEFAULTS`), one per gateway-wide deny rule (`GATEWAY` / `RULE#…`), one per IdP (its settings, without its rules), one per rule and one
 * per account profile.
 * @throws ConfigError when an item would exceed DynamoDB's 400 KB item size.
 */
export const toItems = (
  config: GatewayConfig,
  { updatedAt = new Date().toISOString() }: { updatedAt?: string } = {},
): AttributeItem[] => {
  const items: AttributeItem[] = [];
  const issues: { path: string; message: string }[] = [];
  const add = (path: string, key: AttributeItemKey, kind: AttributeItem['kind'], doc: unknown) => {
    const json = canonicalJson(doc);
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_ITEM_BYTES) {
      issues.push({
        path,
        message: `is ${Math.ceil(bytes / 1024)} KB as a table item; DynamoDB items hold at most 400 KB`,
      });
    }
    items.push({ ...key, kind, doc: json, updatedAt });
  };
  add('defaults', gatewayDefaultsKey(), 'defaults', config.defaults);
  add('settings', gatewaySettingsKey(), 'settings', settingsOf(config));
  config.gatewayRules.forEach((rule, i) => {
    add(`gatewayRules[${i}]`, gatewayRuleKey(rule.priority, rule.id), 'rule', rule);
  });
  config.idps.forEach((idp, i) => {
    const { rules, ...settings } = idp;
    add(`idps[${i}]`, idpConfigKey(idp.id), 'idp', settings);
    rules.forEach((rule, j) => {
      add(`idps[${i}].rules[${j}]`, ruleKey(idp.id, rule.priority, rule.id), 'rule', rule);
    });
  });
  config.accounts.forEach((account, i) => {
    add(`accounts[${i}]`, accountKey(account.id), 'account', account);
  });
  config.spaClients.forEach((spa, i) => {
    add(`spaClients[${i}]`, spaClientKey(spa.id), 'spa-client', spa);
  });
  if (issues.length > 0) throw new ConfigError('the gateway config', issues);
  return items;
};

/**
 * What to write and delete to turn the `current` items into the `desired` ones: a put for each
 * desired item that is missing or whose `kind` or `doc` differs (not `updatedAt`), a delete for
 * each managed current item (`IDP#…`, `ACCOUNT#…`, `GATEWAY`) that is not desired. Items outside
 * those partitions are left alone.
 */
export const diffItems = (
  current: readonly StoredAttributeItem[],
  desired: readonly AttributeItem[],
): AttributeItemDiff => {
  const existing = new Map(current.map((item) => [keyString(item), item]));
  const wanted = new Set(desired.map(keyString));
  return {
    puts: desired.filter((item) => {
      const now = existing.get(keyString(item));
      return now === undefined || now.kind !== item.kind || now.doc !== item.doc;
    }),
    deletes: current
      .filter((item) => isManagedAttributeKey(item) && !wanted.has(keyString(item)))
      .map(({ pk, sk }) => ({ pk, sk })),
  };
};

/**
 * Brings the attribute table to a validated gateway config: reads every item, computes
 * {@link diffItems} and applies it with BatchWriteItem (puts first, then deletes). Running it
 * again with the same config writes nothing. It is not atomic: a reader may briefly see a mix of
 * old and new items. The state table, and attribute items outside `IDP#…`, `ACCOUNT#…` and
 * `GATEWAY`, are never touched.
 * @returns the diff that was applied (empty when the table already matched).
 * @throws ConfigError when an item would exceed DynamoDB's item size.
 * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
 * @throws server_error (GatewayMisconfiguredError) when the table is missing or access is denied.
 * @example
 * const { puts, deletes } = await applyConfig(client, names.attributeTableName, parseGatewayConfig(doc));
 */
export const applyConfig = async (
  client: DynamoPort,
  tableName: string,
  config: GatewayConfig,
  { updatedAt }: { updatedAt?: string } = {},
): Promise<AttributeItemDiff> => {
  const desired = toItems(config, { updatedAt });
  const current = await scanAll(client, {
    TableName: tableName,
    ConsistentRead: true,
    ProjectionExpression: ATTRIBUTE_ITEM_PROJECTION,
  });
  const diff = diffItems(current.map(unmarshalAttributeItem), desired);
  // Puts before deletes: a renamed rule exists twice for a moment rather than not at all.
  const requests: WriteRequest[] = [
    ...diff.puts.map((item) => ({ PutRequest: { Item: marshalAttributeItem(item) } })),
    ...diff.deletes.map((key) => ({ DeleteRequest: { Key: marshalAttributeKey(key) } })),
  ];
  await writeAll(client, tableName, requests);
  return diff;
};
