import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { LocalContext, LocalPlugin } from '../plugin.js';
import { createDemoOp, type DemoOp } from './oidc-op.js';

/** Where the demo OP is mounted under the runner (its issuer is `<base>/_local/oidc`). */
export const DEMO_OIDC_PATH = '/_local/oidc';
/** The demo config's `demo-oidc` IdP: its id and fedgate's client id at the demo OP. */
export const DEMO_OIDC_IDP = 'demo-oidc';
export const DEMO_OIDC_CLIENT_ID = 'fedgate-demo';
/** The env var the demo config's `clientSecretRef: env:…` names. */
export const DEMO_OIDC_SECRET_ENV = 'FEDGATE_DEMO_OIDC_CLIENT_SECRET';

/**
 * The demo OpenID provider as a runner plugin: oidc-provider in process at `/_local/oidc`, with
 * fedgate registered as a confidential client whose one redirect URI is
 * `<base>/oidc/demo-oidc/callback`. The client secret is generated once into
 * `.local/demo/oidc-client-secret` (so several runners sharing one public URL agree on it) and
 * handed to the functions through the environment variable the demo config references (never in
 * the config).
 */
export const demoOidcIdp = (): LocalPlugin => {
  let op: DemoOp | undefined;
  let secret = '';
  return {
    name: 'demo OpenID provider',
    prefix: `${DEMO_OIDC_PATH}/`,
    async prepare(ctx: LocalContext) {
      const dir = join(ctx.workDir, 'demo');
      const file = join(dir, 'oidc-client-secret');
      secret = (await readFile(file, 'utf8').catch(() => '')).trim();
      if (!secret) {
        secret = randomBytes(24).toString('base64url');
        await mkdir(dir, { recursive: true });
        await writeFile(file, `${secret}\n`, { mode: 0o600 });
      }
      op = await createDemoOp({
        issuer: `${ctx.baseUrl.origin}${DEMO_OIDC_PATH}`,
        clients: [
          {
            clientId: DEMO_OIDC_CLIENT_ID,
            clientSecret: secret,
            redirectUris: [new URL(`/oidc/${DEMO_OIDC_IDP}/callback`, ctx.baseUrl).href],
          },
        ],
      });
      return undefined;
    },
    env: () => ({ [DEMO_OIDC_SECRET_ENV]: secret }),
    async handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
      if (!op) {
        res.writeHead(503);
        return void res.end();
      }
      await op.handle(req, res, body);
    },
    describe: (ctx) => [
      `demo OpenID provider ${ctx.baseUrl.origin}${DEMO_OIDC_PATH} (oidc-provider; Olivia, Paul, Quinn)`,
    ],
  };
};
