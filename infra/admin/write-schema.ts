/** `npm run schema`: regenerates shared/config/gateway-config.schema.json from the zod schema. */
import { writeFile } from 'node:fs/promises';
import { buildGatewayConfigJsonSchema } from '../../shared/config/json-schema.js';

const target = new URL('../../shared/config/gateway-config.schema.json', import.meta.url);
await writeFile(target, `${JSON.stringify(buildGatewayConfigJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
