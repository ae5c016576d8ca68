import * as z from 'zod';
import { GatewayConfigSchema } from './gateway-config.js';

/**
 * The published JSON Schema of the gateway config file (the input shape: defaults optional),
 * generated from the zod schema so the two cannot drift. Editors use it through the file's
 * `$schema` / yaml-language-server comment. Checks a JSON Schema cannot express (AWS value rules,
 * duplicate ids, unsafe regexes, certificate syntax) are enforced by fedgate when it loads a file.
 */
export const buildGatewayConfigJsonSchema = (): Record<string, unknown> => ({
  ...(z.toJSONSchema(GatewayConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >),
  title: 'fedgate gateway config',
  description:
    'Upstream IdPs, their mapping rules and account aliases for fedgate (see the README).',
});
