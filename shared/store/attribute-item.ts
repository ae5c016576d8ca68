import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttributeItemKey } from './table-schema.js';

/**
 * What an attribute-table item holds: an IdP's settings, one rule, one account profile, or the
 * gateway-wide defaults.
 */
export type AttributeItemKind = 'idp' | 'rule' | 'account' | 'defaults' | 'settings' | 'spa-client';

/**
 * One attribute-table item: the validated object as canonical JSON in `doc`, its `kind`, and when
 * it was last written. Items are few and small, so they are marshalled by hand.
 */
export interface AttributeItem extends AttributeItemKey {
  kind: AttributeItemKind;
  /** Canonical JSON (sorted keys) of the validated object, so equal content is an equal string. */
  doc: string;
  /** ISO 8601. */
  updatedAt: string;
}

/** An item as read back: anything may be missing or mistyped if someone edited the table by hand. */
export interface StoredAttributeItem extends AttributeItemKey {
  kind: string | undefined;
  doc: string | undefined;
  updatedAt: string | undefined;
}

/** The attributes the store reads: never more than these (saves read units on Scans). */
export const ATTRIBUTE_ITEM_PROJECTION = 'pk, sk, kind, doc, updatedAt';

/** The DynamoDB form of an attribute item. */
export const marshalAttributeItem = (item: AttributeItem): Record<string, AttributeValue> => ({
  pk: { S: item.pk },
  sk: { S: item.sk },
  kind: { S: item.kind },
  doc: { S: item.doc },
  updatedAt: { S: item.updatedAt },
});

/** The DynamoDB form of an attribute item's key. */
export const marshalAttributeKey = (key: AttributeItemKey): Record<string, AttributeValue> => ({
  pk: { S: key.pk },
  sk: { S: key.sk },
});

/** Reads an item back without trusting it: attributes that are not strings become `undefined`. */
export const unmarshalAttributeItem = (
  raw: Record<string, AttributeValue>,
): StoredAttributeItem => ({
  pk: raw.pk?.S ?? '',
  sk: raw.sk?.S ?? '',
  kind: raw.kind?.S,
  doc: raw.doc?.S,
  updatedAt: raw.updatedAt?.S,
});

/** `IDP#okta/RULE#000010#admins`: how logs and errors name an item (never by its content). */
export const describeKey = (key: AttributeItemKey): string => `${key.pk}/${key.sk}`;

/** JSON with object keys sorted at every level, so that equal objects give equal strings. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
