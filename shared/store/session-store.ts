import { randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type Clock, epochSeconds, systemClock } from '../clock.js';
import { getAll } from './batch.js';
import {
  isConditionalCheckFailed,
  StateItemExistsError,
  StoreOperationFailedError,
  translateDynamoError,
} from './errors.js';
import type { DynamoPort } from './ports.js';
import { STATE_KEY_PREFIXES, STATE_TABLE, type StateKey, stateKey } from './table-schema.js';

/**
 * Who a revocation mark covers: everyone, every person of one IdP, or one person (a subject
 * reference) of one IdP.
 */
export type RevocationScope =
  | { kind: 'all' }
  | { kind: 'idp'; idp: string }
  | { kind: 'subject'; idp: string; subjectRef: string };

/** The state-table key of a scope's "revoked before" mark. */
export const revocationKey = (scope: RevocationScope): StateKey =>
  scope.kind === 'all'
    ? stateKey(STATE_KEY_PREFIXES.revoked, 'ALL')
    : scope.kind === 'idp'
      ? stateKey(STATE_KEY_PREFIXES.revoked, `IDP#${scope.idp}`)
      : stateKey(STATE_KEY_PREFIXES.revoked, `SUB#${scope.idp}#${scope.subjectRef}`);

/** A session item as stored: the record written once, and the fields each use updates. */
export interface StoredSession {
  /** The record as written at sign-in (JSON; the caller validates it: it crossed a boundary). */
  record: unknown;
  /** Epoch seconds: the item's expiry (the session's absolute end). */
  expiresAt: number;
  /** Epoch milliseconds of the last use (the idle timer), written by the functions that use it. */
  lastUsedAt: number;
  /** Grant ids, most recently used first. */
  recent: string[];
}

/** What one read of a session returns: the session (if live) and the newest mark over its scopes. */
export interface SessionRead {
  session: StoredSession | undefined;
  /** Epoch milliseconds: the latest "revoked before" of the scopes asked for, 0 when none. */
  revokedBefore: number;
}

/** One session as the admin listing shows it (no secret: the key is a hash). */
export interface ListedSession extends StoredSession {
  /** The key's hash part: identifies the session to an operator, useless as a credential. */
  id: string;
}

/**
 * The sessions of the state table (`SESSION#<sha256 of the secret>`) and the revocation marks
 * (`REVOKED#ALL`, `REVOKED#IDP#<idp>`, `REVOKED#SUB#<idp>#<subject ref>`).
 *
 * Single-writer fields: `data` (the record) is written once, by the function that completes the
 * sign-in; `lastUsedAt` and `recent` only by the functions that use a session; marks only by the
 * admin CLI. Nothing rewrites a record, so no use can widen what a sign-in established.
 */
export interface SessionStore {
  /**
   * Creates a session item unless one exists under the id (it never does: 256-bit secrets).
   * @throws state_conflict, temporarily_unavailable.
   */
  create(id: string, record: unknown, expiresAt: number, now: number): Promise<void>;
  /**
   * Reads a session and the marks of the given scopes in ONE BatchGetItem (strongly consistent).
   * An expired session (expiresAt ≤ now) reads as absent.
   * @throws temporarily_unavailable, server_error for an unreadable item.
   */
  read(id: string, scopes: readonly RevocationScope[]): Promise<SessionRead>;
  /**
   * Records a use: `lastUsedAt` and `recent`. `false` when the session is gone or expired.
   * @throws temporarily_unavailable.
   */
  touch(id: string, use: { lastUsedAt: number; recent: readonly string[] }): Promise<boolean>;
  /** Deletes a session (sign out). @throws temporarily_unavailable. */
  delete(id: string): Promise<void>;
  /**
   * Sets a scope's mark to `before` (epoch ms) unless a later mark exists; kept until `expiresAt`.
   * @throws temporarily_unavailable.
   */
  revoke(scope: RevocationScope, before: number, expiresAt: number): Promise<void>;
  /** Every session item, expired ones included (admin listing; a Scan, never on a sign-in path). */
  list(): AsyncIterable<ListedSession>;
  /**
   * Records a new session under its person (`PERSON#<idp>#<subject ref>`: a short id and its end),
   * so that a deprovisioning can count what it ends without a scan.
   * @throws temporarily_unavailable.
   */
  indexSession?(idp: string, subjectRef: string, id: string, endsAt: number): Promise<void>;
  /**
   * The sessions of a person that may still be live at `now` (epoch seconds), by short id (the
   * first {@link SESSION_SHORT_ID_LENGTH} characters of the table id, as `fedgate-admin sessions
   * list` shows them): those recorded by `indexSession` whose end is later (sign-outs and idle
   * ends are not known here: an upper bound).
   * @throws temporarily_unavailable.
   */
  liveSessions?(idp: string, subjectRef: string, now: number): Promise<string[]>;
}

/**
 * How many characters of a session's table id name it to an operator (the admin listing, a
 * deprovisioning's audit line): a SHA-256 of the secret, so no part of it is a credential.
 */
export const SESSION_SHORT_ID_LENGTH = 12;

/** How long a person's session index is kept after its last new session: the longest life plus a day. */
const PERSON_INDEX_SECONDS = 8 * 86_400;

/** The state-table key of a person's session index. */
export const personIndexKey = (idp: string, subjectRef: string): StateKey =>
  stateKey(STATE_KEY_PREFIXES.person, `${idp}#${subjectRef}`);

const EXP = STATE_TABLE.timeToLiveAttribute;
const sessionItemKey = (id: string): StateKey => stateKey(STATE_KEY_PREFIXES.session, id);

const numberOf = (item: Record<string, AttributeValue>, name: string): number =>
  Number(item[name]?.N ?? Number.NaN);

const decodeSession = (item: Record<string, AttributeValue>): StoredSession => {
  let record: unknown;
  let recent: unknown;
  try {
    record = JSON.parse(item.data?.S ?? '');
    recent = item.recent?.S === undefined ? [] : JSON.parse(item.recent.S);
  } catch (err) {
    throw new StoreOperationFailedError('state item SESSION# holds unreadable data', {
      cause: err,
    });
  }
  return {
    record,
    expiresAt: numberOf(item, EXP),
    lastUsedAt: numberOf(item, 'lastUsedAt'),
    recent: Array.isArray(recent) ? recent.filter((r): r is string => typeof r === 'string') : [],
  };
};

/**
 * The session store on DynamoDB's state table.
 * @example
 * const sessions = createDynamoSessionStore({ client, tableName: config.stateTableName });
 * const { session, revokedBefore } = await sessions.read(id, scopesOf(cookie));
 */
export const createDynamoSessionStore = ({
  client,
  tableName,
  clock = systemClock,
}: {
  client: DynamoPort;
  tableName: string;
  /** The clock (shared/clock.ts); TTL and liveness compare whole epoch seconds. */
  clock?: Clock;
}): SessionStore => {
  const second = () => epochSeconds(clock);
  return {
    async create(id, record, expiresAt, createdAtMs) {
      if (!Number.isFinite(expiresAt) || expiresAt <= second()) {
        throw new RangeError(`expiresAt must be a future epoch second, got ${expiresAt}`);
      }
      const writer = randomBytes(16).toString('base64url');
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: sessionItemKey(id) },
              [EXP]: { N: String(expiresAt) },
              data: { S: JSON.stringify(record) },
              lastUsedAt: { N: String(createdAtMs) },
              recent: { S: '[]' },
              writer: { S: writer },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      } catch (err) {
        if (isConditionalCheckFailed(err)) {
          // Our own retried put (its first answer lost) is a success, as in the state store.
          const old = (err as { Item?: Record<string, AttributeValue> }).Item;
          if (old?.writer?.S === writer) return;
          throw new StateItemExistsError('a SESSION# item exists', { cause: err });
        }
        throw translateDynamoError(err, 'PutItem');
      }
    },

    async read(id, scopes) {
      const keys = [sessionItemKey(id), ...scopes.map(revocationKey)];
      const items = await getAll(
        client,
        tableName,
        keys.map((k) => ({ pk: { S: k } })),
        { ConsistentRead: true },
      );
      let session: StoredSession | undefined;
      let revokedBefore = 0;
      const sessionPk = keys[0];
      for (const item of items) {
        const pk = item.pk?.S;
        if (pk === sessionPk) {
          // NaN (no expiry) is not live: every state item must carry one.
          if (numberOf(item, EXP) > second()) session = decodeSession(item);
        } else if (pk?.startsWith(STATE_KEY_PREFIXES.revoked)) {
          const before = numberOf(item, 'before');
          if (Number.isFinite(before)) revokedBefore = Math.max(revokedBefore, before);
        }
      }
      return { session, revokedBefore };
    },

    async touch(id, use) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: sessionItemKey(id) } },
            UpdateExpression: 'SET lastUsedAt = :t, recent = :r',
            ConditionExpression: 'attribute_exists(pk) AND #exp > :now',
            ExpressionAttributeNames: { '#exp': EXP },
            ExpressionAttributeValues: {
              ':t': { N: String(use.lastUsedAt) },
              ':r': { S: JSON.stringify(use.recent) },
              ':now': { N: String(second()) },
            },
          }),
        );
        return true;
      } catch (err) {
        if (isConditionalCheckFailed(err)) return false;
        throw translateDynamoError(err, 'UpdateItem');
      }
    },

    async delete(id) {
      try {
        await client.send(
          new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: sessionItemKey(id) } } }),
        );
      } catch (err) {
        throw translateDynamoError(err, 'DeleteItem');
      }
    },

    async revoke(scope, before, expiresAt) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: revocationKey(scope) },
              before: { N: String(before) },
              [EXP]: { N: String(expiresAt) },
            },
            // Never move a mark back in time (two operators revoking at once).
            ConditionExpression: 'attribute_not_exists(pk) OR #before <= :before',
            ExpressionAttributeNames: { '#before': 'before' },
            ExpressionAttributeValues: { ':before': { N: String(before) } },
          }),
        );
      } catch (err) {
        if (isConditionalCheckFailed(err)) return;
        throw translateDynamoError(err, 'PutItem');
      }
    },

    async indexSession(idp, subjectRef, id, endsAt) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: personIndexKey(idp, subjectRef) } },
            // A string set: concurrent sign-ins each add their entry, none is lost.
            UpdateExpression: 'ADD sessions :s SET #exp = :exp',
            ExpressionAttributeNames: { '#exp': EXP },
            ExpressionAttributeValues: {
              ':s': { SS: [`${id.slice(0, 16)}@${endsAt}`] },
              ':exp': { N: String(second() + PERSON_INDEX_SECONDS) },
            },
          }),
        );
      } catch (err) {
        throw translateDynamoError(err, 'UpdateItem');
      }
    },

    async liveSessions(idp, subjectRef, now) {
      const [item] = await getAll(
        client,
        tableName,
        [{ pk: { S: personIndexKey(idp, subjectRef) } }],
        {
          ConsistentRead: true,
        },
      );
      if (!item || !(numberOf(item, EXP) > second())) return [];
      return (item.sessions?.SS ?? []).flatMap((entry) => {
        const [id = '', endsAt] = entry.split('@');
        return Number(endsAt) > now ? [id.slice(0, SESSION_SHORT_ID_LENGTH)] : [];
      });
    },

    async *list() {
      let start: Record<string, AttributeValue> | undefined;
      do {
        let out: ScanCommandOutput;
        try {
          out = await client.send(
            new ScanCommand({
              TableName: tableName,
              FilterExpression: 'begins_with(pk, :p)',
              ExpressionAttributeValues: { ':p': { S: STATE_KEY_PREFIXES.session } },
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          );
        } catch (err) {
          throw translateDynamoError(err, 'Scan');
        }
        for (const item of out.Items ?? []) {
          const pk = item.pk?.S ?? '';
          yield { id: pk.slice(STATE_KEY_PREFIXES.session.length), ...decodeSession(item) };
        }
        start = out.LastEvaluatedKey;
      } while (start);
    },
  };
};
