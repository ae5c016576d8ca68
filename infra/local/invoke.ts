/**
 * `npm run invoke -- <function> <event.json> [--config FILE]`: runs one handler on one API
 * Gateway v2 event, as Lambda would, against the embedded DynamoDB seeded from the gateway config
 * (the demo config by default), and prints the result.
 * Example: npm run invoke -- home events/home.default.json
 * SAML events expire within minutes: `npm run events` writes fresh ones into .local/events/ first.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { FUNCTIONS, isFunctionName } from '../manifest.js';
import { createLambdaContext } from './api-gateway-event.js';
import { defaultPlugins } from './default-plugins.js';
import { startLocalGateway } from './gateway.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { config: { type: 'string' } },
});
const [fn, eventFile] = positionals;
if (!fn || !eventFile || !isFunctionName(fn)) {
  console.error(`usage: npm run invoke -- <${FUNCTIONS.join('|')}> <event.json> [--config FILE]`);
  process.exit(2);
}

const event = JSON.parse(await readFile(eventFile, 'utf8')) as APIGatewayProxyEventV2;
const gateway = await startLocalGateway({
  port: 0,
  configPath: values.config ?? 'infra/local/demo-config.yaml',
  plugins: defaultPlugins(),
  // The base URL `npm run events` records its events under (Audience, Recipient, links).
  publicBaseUrl: 'http://127.0.0.1:8787',
});
try {
  const { handler } = (await import(`../../functions/${fn}.ts`)) as {
    handler: (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyResultV2>;
  };
  const result = await handler(event, createLambdaContext(`fedgate-${fn}`));
  console.log(JSON.stringify(result, null, 2));
} finally {
  await gateway.stop();
}
