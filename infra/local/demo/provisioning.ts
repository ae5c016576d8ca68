import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalContext, LocalPlugin } from '../plugin.js';
import { DEMO_DIRECTORIES, type DemoDirectory, scimUserOf } from './demo-directory.js';

/** The demo IdPs that provision fedgate's directory, and where each one's SCIM token lives. */
const PROVISIONED = ['demo-okta', 'demo-entra'] as const;

/** The file holding a demo IdP's SCIM token (the demo config's `tokenRef: file:…`). */
export const demoScimTokenFile = (workDir: string, idp: string) =>
  join(workDir, 'demo', `${idp}.scim-token`);

/** The token, generated once (256 random bits) and kept in `.local/demo/` (mode 0600). */
const ensureToken = async (file: string): Promise<string> => {
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch {
    // Not there yet: generate it.
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
};

type Call = (method: string, path: string, body?: unknown) => Promise<Response>;

/** A SCIM client of one IdP against the runner, retrying 429s as provisioning clients do. */
const scimClient = (ctx: LocalContext, idp: string, token: string): Call => {
  const call: Call = async (method, path, body) => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(new URL(`/scim/v2/${idp}${path}`, ctx.listenUrl), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (res.status !== 429 || attempt >= 20) return res;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return call;
};

const json = async <T>(res: Response, what: string): Promise<T> => {
  if (!res.ok) throw new Error(`demo provisioning: ${what}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

/** Runs `task` over items, `limit` at a time. */
const each = async <T>(items: readonly T[], limit: number, task: (t: T) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
};

/**
 * One IdP's provisioning run, as Okta or Entra ID would do it: look each person up by
 * externalId and create the missing ones, then the groups (by displayName), each created with
 * its members. Idempotent: a second runner sharing the table finds everything there.
 */
export const provisionDemoDirectory = async (call: Call, directory: DemoDirectory) => {
  const ids = new Map<string, string>();
  for (const user of directory.users) {
    const filter = encodeURIComponent(`externalId eq "${user.externalId}"`);
    const found = await json<{ Resources: { id: string }[] }>(
      await call('GET', `/Users?filter=${filter}`),
      `find ${user.id}`,
    );
    const id =
      found.Resources[0]?.id ??
      (
        await json<{ id: string }>(
          await call('POST', '/Users', scimUserOf(user)),
          `create ${user.id}`,
        )
      ).id;
    ids.set(user.id, id);
  }
  const groupIds = new Map<string, string>();
  const existing = new Map<string, string>();
  for (let start = 1; ; start += 200) {
    const page = await json<{
      totalResults: number;
      Resources: { id: string; displayName: string }[];
    }>(
      await call('GET', `/Groups?startIndex=${start}&count=200&excludedAttributes=members`),
      'list groups',
    );
    for (const g of page.Resources) existing.set(g.displayName, g.id);
    if (start + 200 > page.totalResults) break;
  }
  // Groups without nested members first, so that nesting can name them.
  const ordered = [...directory.groups].sort(
    (a, b) => (a.groups?.length ?? 0) - (b.groups?.length ?? 0),
  );
  const flat = ordered.filter((g) => !g.groups?.length);
  const nested = ordered.filter((g) => g.groups?.length);
  const create = async (g: DemoDirectory['groups'][number]) => {
    const have = existing.get(g.displayName);
    if (have) {
      groupIds.set(g.displayName, have);
      return;
    }
    const members = [
      ...g.people.map((p) => ({ value: ids.get(p) as string, type: 'User' })),
      ...(g.groups ?? []).map((n) => ({ value: groupIds.get(n) as string, type: 'Group' })),
    ];
    const created = await json<{ id: string }>(
      await call('POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: g.displayName,
        ...(g.externalId ? { externalId: g.externalId } : {}),
        members,
      }),
      `create group ${g.displayName}`,
    );
    groupIds.set(g.displayName, created.id);
  };
  await each(flat, 8, create);
  for (const g of nested) await create(g);
};

/** A log line of the scim function at INFO or DEBUG (one JSON object per line, Powertools). */
const isRoutineScimLine = (text: string): boolean => {
  if (!text.startsWith('{')) return false;
  try {
    const fields = JSON.parse(text) as { level?: unknown; function?: unknown };
    return fields.function === 'scim' && (fields.level === 'INFO' || fields.level === 'DEBUG');
  } catch {
    return false;
  }
};

/**
 * Runs the demo provisioning with the scim function's routine lines held back: some 300 requests
 * each log `request completed` and most a `directory … created` (~630 INFO lines before the
 * start-up summary). Warnings and errors, other functions' lines and plain text still print;
 * `FEDGATE_DEBUG` shows everything. Returns how many lines were held back.
 */
export const withRoutineScimLinesHeld = async (
  task: () => Promise<void>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> => {
  if (env.FEDGATE_DEBUG) {
    await task();
    return 0;
  }
  const write = process.stdout.write;
  let held = 0;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && isRoutineScimLine(chunk)) {
      held += 1;
      return true;
    }
    return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    await task();
  } finally {
    process.stdout.write = write;
  }
  return held;
};

/**
 * The demo IdPs' provisioning of fedgate's directory: at start the runner provisions the demo
 * people of demo-okta and demo-entra through its own SCIM endpoint (`/scim/v2/<idp>`), with a
 * bearer token per IdP generated into `.local/demo/<idp>.scim-token` (what the demo config's
 * `directory.scim.tokenRef` names), so directory attributes show in tags and Grace, in 300
 * groups, signs in although Entra sends a groups link instead of her groups.
 */
export const demoProvisioning = (): LocalPlugin => {
  const tokens = new Map<string, string>();
  let held = 0;
  return {
    name: 'demo provisioning',
    async prepare(ctx) {
      await mkdir(join(ctx.workDir, 'demo'), { recursive: true, mode: 0o700 });
      for (const idp of PROVISIONED) {
        tokens.set(idp, await ensureToken(demoScimTokenFile(ctx.workDir, idp)));
      }
      return { DEMO_SCIM_TOKEN_DIR: join(ctx.workDir, 'demo') };
    },
    async started(ctx) {
      held = await withRoutineScimLinesHeld(async () => {
        for (const idp of PROVISIONED) {
          await provisionDemoDirectory(
            scimClient(ctx, idp, tokens.get(idp) as string),
            DEMO_DIRECTORIES[idp],
          );
        }
      }, process.env);
    },
    describe: (ctx) => [
      ...PROVISIONED.map(
        (idp) =>
          `SCIM ${idp.padEnd(15)} ${new URL(`/scim/v2/${idp}`, ctx.baseUrl).href} (bearer token in ${demoScimTokenFile(ctx.workDir, idp)})`,
      ),
      ...(held > 0
        ? [
            `SCIM demo run        provisioned the demo people and groups (${held} INFO log lines held back; FEDGATE_DEBUG=1 npm start shows them)`,
          ]
        : []),
    ],
  };
};
