import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGatewayConfigJsonSchema } from '../../../shared/config/json-schema.js';

describe('published JSON Schema', () => {
  it('is up to date with the zod schema (run `npm run schema` after changing it)', () => {
    const published = JSON.parse(readFileSync('shared/config/gateway-config.schema.json', 'utf8'));
    expect(published).toEqual(buildGatewayConfigJsonSchema());
  });

  it('describes strict objects, so editors flag unknown keys', () => {
    const schema = buildGatewayConfigJsonSchema();
    expect(schema.additionalProperties).toBe(false);
    expect(JSON.stringify(schema)).toContain('"metadataFile"');
  });
});
