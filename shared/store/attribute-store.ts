import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  type AccountProfile,
  AccountProfileSchema,
  type DenyRule,
  DenyRuleSchema,
  formatPath,
  GatewayConfigSchema,
  GatewaySettingsSchema,
  type IdpConfig,
  IdpConfigSchema,
  IdpIdSchema,
} from '../config/index.js';
import { createDirectoryJoin } from '../directory/join.js';
import { createDirectoryReader } from '../directory/reader.js';
import { GatewayMisconfiguredError } from '../http/errors.js';
import {
  ATTRIBUTE_ITEM_PROJECTION,
  describeKey,
  marshalAttributeKey,
  type StoredAttributeItem,
  unmarshalAttributeItem,
} from './attribute-item.js';
import { getAll } from './batch.js';
import { createDynamoDirectoryStore } from './directory-store.js';
import { translateDynamoError } from './errors.js';
import { queryAll, scanAll } from './paginate.js';
import type { AttributeStore, DynamoPort, IdpSummary } from './ports.js';
import {
  ATTRIBUTE_KEY_PREFIXES,
  type AttributeItemKey,
  accountKey,
  gatewayDefaultsKey,
  gatewayRuleKey,
  gatewaySettingsKey,
  IDP_CONFIG_SK,
  idpConfigKey,
  RULE_SK_PREFIX,
  ruleKey,
} from './table-schema.js';

const ACCOUNT_ID = /^\d{12}$/;
// The config file's own `defaults` schema, so that a stored item is held to the same rules and a
// missing one gets the same values as a config file that leaves `defaults` out.
const DefaultsSchema = GatewayConfigSchema.shape.defaults;

const invalid = (key: AttributeItemKey, why: string) =>
  new GatewayMisconfiguredError(`attribute item ${describeKey(key)} ${why}`);

/** The item's `doc` as a JSON object, checked for its `kind`; never echoes the content. */
const readDoc = (item: StoredAttributeItem, kind: string): Record<string, unknown> => {
  if (item.kind !== kind) throw invalid(item, `has kind ${JSON.stringify(item.kind ?? null)}`);
  if (item.doc === undefined) throw invalid(item, 'has no doc');
  let doc: unknown;
  try {
    doc = JSON.parse(item.doc);
  } catch {
    throw invalid(item, 'has a doc that is not JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw invalid(item, 'has a doc that is not an object');
  }
  return doc as Record<string, unknown>;
};

// Only the path of the first issue: zod messages may quote keys or values of the document.
const failsAt = (path: readonly PropertyKey[] = []) =>
  `fails validation${path.length > 0 ? ` at ${formatPath(path)}` : ''}`;

/**
 * Rebuilds an IdP from its items (settings first, then rules in sort-key order) and re-validates
 * it as a whole, naming the offending item in the error.
 */
const assembleIdp = (
  idpId: string,
  items: readonly StoredAttributeItem[],
): IdpConfig | undefined => {
  const [settingsItem, ...ruleItems] = items;
  // Rules without settings are leftovers of a removed IdP: there is no such IdP.
  if (settingsItem?.sk !== IDP_CONFIG_SK) return undefined;
  const settings = readDoc(settingsItem, 'idp');
  // Rules live in their own items; rules inside the settings would be silently replaced.
  if ('rules' in settings) throw invalid(settingsItem, 'holds rules inside its doc');
  const rules = ruleItems.map((item) => {
    // Fail closed on an item type this version does not know: it may be a restriction.
    if (!item.sk.startsWith(RULE_SK_PREFIX)) throw invalid(item, 'is of an unknown type');
    return readDoc(item, 'rule');
  });
  const result = IdpConfigSchema.safeParse({ ...settings, rules });
  if (!result.success) {
    const path = result.error.issues[0]?.path ?? [];
    const ruleItem =
      path[0] === 'rules' && typeof path[1] === 'number' ? ruleItems[path[1]] : undefined;
    throw ruleItem
      ? invalid(ruleItem, failsAt(path.slice(2)))
      : invalid(settingsItem, failsAt(path));
  }
  const idp = result.data;
  if (idp.id !== idpId) throw invalid(settingsItem, 'holds another IdP id');
  idp.rules.forEach((rule, i) => {
    const item = ruleItems[i];
    if (item && ruleKey(idpId, rule.priority, rule.id).sk !== item.sk) {
      throw invalid(item, 'does not match the priority and id in its doc');
    }
  });
  return idp;
};

/**
 * The attribute store on DynamoDB: one Query per IdP, one for the gateway rules, a filtered Scan
 * for the IdP list, BatchGetItem for account profiles and GetItem for the defaults; every item read is re-validated
 * with the config schemas.
 * @throws server_error (GatewayMisconfiguredError) from its methods when an item is invalid, the
 * table is missing or access is denied.
 * @throws temporarily_unavailable (DependencyUnavailableError) from its methods when DynamoDB
 * cannot answer.
 * @example
 * const store = createCachedAttributeStore(
 *   createDynamoAttributeStore({ client, tableName: config.attributeTableName }),
 *   { ttlSeconds: config.configCacheSeconds },
 * );
 */
export const createDynamoAttributeStore = ({
  client,
  tableName,
  directory = true,
}: {
  client: DynamoPort;
  tableName: string;
  /**
   * Join IdPs' directories (`DIR#<idp>#…` reads; default true). Without it the store has no
   * `joinDirectory`, and an IdP with a directory is refused (shared/mapping/mapper-cache.ts): a
   * function whose role does not declare the directory read cannot sign anyone in on one.
   */
  directory?: boolean;
}): AttributeStore => {
  const joinDirectory = directory
    ? createDirectoryJoin(
        createDirectoryReader({ store: createDynamoDirectoryStore({ client, tableName }) }),
      )
    : undefined;
  return {
    ...(joinDirectory ? { joinDirectory } : {}),
    async getIdp(idpId) {
      // Ids come from URL paths: one that cannot exist costs no read.
      if (!IdpIdSchema.safeParse(idpId).success) return undefined;
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: idpConfigKey(idpId).pk } },
        ProjectionExpression: ATTRIBUTE_ITEM_PROJECTION,
      });
      return assembleIdp(idpId, items.map(unmarshalAttributeItem));
    },

    async listIdps() {
      const items = await scanAll(client, {
        TableName: tableName,
        FilterExpression: 'sk = :config AND begins_with(pk, :idp)',
        ExpressionAttributeValues: {
          ':config': { S: IDP_CONFIG_SK },
          ':idp': { S: ATTRIBUTE_KEY_PREFIXES.idp },
        },
        ProjectionExpression: ATTRIBUTE_ITEM_PROJECTION,
      });
      const summaries = items.map(unmarshalAttributeItem).map((item): IdpSummary => {
        const doc = readDoc(item, 'idp');
        if ('rules' in doc) throw invalid(item, 'holds rules inside its doc');
        const result = IdpConfigSchema.safeParse(doc);
        if (!result.success) throw invalid(item, failsAt(result.error.issues[0]?.path));
        const { id, displayName, protocol, listed } = result.data;
        if (item.pk !== idpConfigKey(id).pk) throw invalid(item, 'holds another IdP id');
        return { id, displayName, protocol, listed };
      });
      return summaries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async getAccounts(accountIds) {
      const wanted = [...new Set(accountIds)].filter((id) => ACCOUNT_ID.test(id));
      if (wanted.length === 0) return [];
      const raw = await getAll(
        client,
        tableName,
        wanted.map((id) => {
          const key = accountKey(id);
          return { pk: { S: key.pk }, sk: { S: key.sk } };
        }),
        { ProjectionExpression: ATTRIBUTE_ITEM_PROJECTION },
      );
      const byId = new Map<string, AccountProfile>();
      for (const item of raw.map(unmarshalAttributeItem)) {
        const result = AccountProfileSchema.safeParse(readDoc(item, 'account'));
        if (!result.success) throw invalid(item, failsAt(result.error.issues[0]?.path));
        if (item.pk !== accountKey(result.data.id).pk)
          throw invalid(item, 'holds another account id');
        byId.set(result.data.id, result.data);
      }
      return wanted.flatMap((id) => byId.get(id) ?? []);
    },

    async getGatewayRules() {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :rule)',
        ExpressionAttributeValues: {
          ':pk': { S: ATTRIBUTE_KEY_PREFIXES.gateway },
          ':rule': { S: RULE_SK_PREFIX },
        },
        ProjectionExpression: ATTRIBUTE_ITEM_PROJECTION,
      });
      return items.map(unmarshalAttributeItem).map((item): DenyRule => {
        // The deny schema refuses the old condition forms: a deny written for the old semantics
        // fails closed here (every sign-in refused) rather than being read with the new ones.
        const result = DenyRuleSchema.safeParse(readDoc(item, 'rule'));
        if (!result.success) throw invalid(item, failsAt(result.error.issues[0]?.path));
        if (gatewayRuleKey(result.data.priority, result.data.id).sk !== item.sk) {
          throw invalid(item, 'does not match the priority and id in its doc');
        }
        return result.data;
      });
    },

    async getDefaults() {
      let raw: Record<string, AttributeValue> | undefined;
      try {
        const out = await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: marshalAttributeKey(gatewayDefaultsKey()),
            ProjectionExpression: ATTRIBUTE_ITEM_PROJECTION,
          }),
        );
        raw = out.Item;
      } catch (err) {
        throw translateDynamoError(err, 'GetItem');
      }
      // No item: a table seeded before the defaults were stored (applying the config again stores
      // them). Use the schema's defaults, as for a config that sets none; an invalid item still
      // fails closed below.
      if (raw === undefined) return DefaultsSchema.parse({});
      const item = unmarshalAttributeItem(raw);
      const result = DefaultsSchema.safeParse(readDoc(item, 'defaults'));
      if (!result.success) throw invalid(item, failsAt(result.error.issues[0]?.path));
      return result.data;
    },

    async getSettings() {
      let raw: Record<string, AttributeValue> | undefined;
      try {
        const out = await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: marshalAttributeKey(gatewaySettingsKey()),
            ProjectionExpression: ATTRIBUTE_ITEM_PROJECTION,
          }),
        );
        raw = out.Item;
      } catch (err) {
        throw translateDynamoError(err, 'GetItem');
      }
      // No item: a table seeded before settings were stored; the schema's defaults, as for a config
      // that sets none. An invalid item fails closed below.
      if (raw === undefined) return GatewaySettingsSchema.parse({});
      const item = unmarshalAttributeItem(raw);
      const result = GatewaySettingsSchema.safeParse(readDoc(item, 'settings'));
      if (!result.success) throw invalid(item, failsAt(result.error.issues[0]?.path));
      return result.data;
    },
  };
};
