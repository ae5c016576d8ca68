import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { type Clock, systemClock } from '../clock.js';
import { type SpaClient, SpaClientSchema } from '../config/index.js';
import { GatewayMisconfiguredError } from '../http/errors.js';
import { translateDynamoError } from './errors.js';
import type { DynamoPort, SpaClientRegistry } from './ports.js';
import { spaClientKey } from './table-schema.js';

const CLIENT_ID = /^[a-z0-9][a-z0-9-]{0,59}$/;

/**
 * The SPA clients of the attribute table (`GATEWAY` / `SPA#<id>`, written from the config's
 * `spaClients`), cached per container like the IdPs (`ttlSeconds`, misses included).
 */
export const createDynamoSpaClients = ({
  client,
  tableName,
  ttlSeconds,
  clock: now = systemClock,
}: {
  client: DynamoPort;
  tableName: string;
  ttlSeconds: number;
  /** The clock (shared/clock.ts). */
  clock?: Clock;
}): SpaClientRegistry => {
  const cache = new Map<string, { at: number; value: SpaClient | undefined }>();
  return {
    async get(clientId) {
      if (!CLIENT_ID.test(clientId)) return undefined;
      const hit = cache.get(clientId);
      if (hit && now() - hit.at < ttlSeconds * 1000) return hit.value;
      const key = spaClientKey(clientId);
      let doc: string | undefined;
      try {
        const out = await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { pk: { S: key.pk }, sk: { S: key.sk } },
            ProjectionExpression: 'doc',
          }),
        );
        doc = out.Item?.doc?.S;
      } catch (err) {
        throw translateDynamoError(err, 'GetItem');
      }
      let value: SpaClient | undefined;
      if (doc !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(doc);
        } catch {
          parsed = undefined;
        }
        const result = SpaClientSchema.safeParse(parsed);
        if (!result.success || result.data.id !== clientId) {
          throw new GatewayMisconfiguredError(`${key.pk}/${key.sk} fails validation`);
        }
        value = result.data;
      }
      if (cache.size > 256) cache.clear();
      cache.set(clientId, { at: now(), value });
      return value;
    },
  };
};
