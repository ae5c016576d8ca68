import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { parseVars } from '../../../infra/admin/command.js';
import { buildIdentity, parseClaimsFile } from '../../../infra/admin/commands/explain.js';
import { formatRule } from '../../../infra/admin/commands/rules.js';
import { withConsistentReads } from '../../../infra/admin/config-source.js';
import { describeSave } from '../../../infra/admin/edits.js';
import { CliFailure, UsageError } from '../../../infra/admin/errors.js';
import {
  fetchText,
  MAX_DOCUMENT_BYTES,
  parseFetchUrl,
  readTextRef,
} from '../../../infra/admin/fetch-text.js';
import { type CliIo, resolveTarget } from '../../../infra/admin/target.js';
import { IdpConfigSchema } from '../../../shared/config/index.js';

const io = (env: Record<string, string> = {}, fetchImpl: typeof fetch = fetch): CliIo => ({
  stdout: () => undefined,
  stderr: () => undefined,
  env,
  cwd: '/work',
  fetch: fetchImpl,
});
const resolvePath = (p: string) => `/abs/${p}`;

describe('parseClaimsFile', () => {
  it('reads subject and issuer beside claims, or the claims alone', () => {
    expect(
      parseClaimsFile('{"subject":"s","issuer":"i","claims":{"groups":["a"],"n":1}}', 'f'),
    ).toEqual({ subject: 's', issuer: 'i', raw: { groups: ['a'], n: 1 } });
    expect(parseClaimsFile('sub: user-1\nemail_verified: true\n', 'f')).toEqual({
      raw: { sub: 'user-1', email_verified: true },
    });
  });

  it.each([
    ['[1, 2]', 'want a JSON/YAML object'],
    ['{"claims":{},"subject":5}', 'subject must be a string'],
    ['a: [', 'f:'],
  ])('refuses %s', (text, message) => {
    expect(() => parseClaimsFile(text, 'f')).toThrow(message);
    expect(() => parseClaimsFile(text, 'f')).toThrow(CliFailure);
  });
});

describe('buildIdentity (SAML)', () => {
  const idp = IdpConfigSchema.parse({
    id: 'okta',
    displayName: 'Okta',
    protocol: 'saml',
    saml: { entityId: 'http://www.okta.com/exk1', signingCertificates: ['A'.repeat(80)] },
  });

  it('takes the NameID from subject, the issuer from the config, and stringifies scalars', () => {
    const identity = buildIdentity(
      idp,
      parseClaimsFile('{"subject":"n@x","claims":{"level":3,"ok":true}}', 'f'),
    );
    expect(identity).toEqual({
      idp: 'okta',
      issuer: 'http://www.okta.com/exk1',
      subject: 'n@x',
      claims: { level: ['3'], ok: ['true'], nameId: ['n@x'] },
    });
  });

  it('needs a subject when the IdP reads it from the NameID', () => {
    expect(() => buildIdentity(idp, parseClaimsFile('{"claims":{"a":"b"}}', 'f'))).toThrow(
      expect.objectContaining({ code: 'subject_invalid' }),
    );
  });
});

describe('parseVars', () => {
  it('reads NAME=VALUE pairs (the value may hold "=")', () => {
    expect(parseVars(['A=1', 'B_2=x=y', 'C='], 'c')).toEqual({ A: '1', B_2: 'x=y', C: '' });
  });
  it.each([['a=1'], ['NOVALUE'], ['=x']])('refuses %s', (pair) => {
    expect(() => parseVars([pair], 'c')).toThrow(UsageError);
  });
});

describe('resolveTarget', () => {
  it('takes a config file, refusing it where a table is needed or next to a table', async () => {
    await expect(resolveTarget({ config: 'g.yaml' }, io(), 'c', { resolvePath })).resolves.toEqual({
      kind: 'file',
      path: '/abs/g.yaml',
      describe: 'config file g.yaml',
    });
    await expect(
      resolveTarget({ config: 'g.yaml' }, io(), 'c', { resolvePath, allowFile: false }),
    ).rejects.toThrow(UsageError);
    await expect(
      resolveTarget({ config: 'g.yaml', endpoint: 'http://127.0.0.1:1' }, io(), 'c', {
        resolvePath,
      }),
    ).rejects.toThrow('not both');
  });

  it("gives a loopback endpoint the runner's table and fake credentials", async () => {
    const target = await resolveTarget(
      {},
      io({ FEDGATE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9000' }),
      'c',
      {
        resolvePath,
      },
    );
    expect(target).toMatchObject({
      kind: 'table',
      tableName: 'fedgate-attributes',
      describe: 'table fedgate-attributes at http://127.0.0.1:9000',
    });
    if (target.kind !== 'table') throw new Error('want a table');
    expect(await target.client.config.region()).toBe('us-east-1');
    expect(await target.client.config.credentials()).toMatchObject({ accessKeyId: 'local' });
    target.client.destroy();
  });

  it('takes the table name from $ATTRIBUTE_TABLE_NAME and the region from --region', async () => {
    const target = await resolveTarget(
      { region: 'eu-west-1' },
      io({ ATTRIBUTE_TABLE_NAME: 'prod-attrs' }),
      'c',
      {
        resolvePath,
      },
    );
    expect(target).toMatchObject({
      kind: 'table',
      tableName: 'prod-attrs',
      describe: 'table prod-attrs',
    });
    if (target.kind !== 'table') throw new Error('want a table');
    expect(await target.client.config.region()).toBe('eu-west-1');
    target.client.destroy();
  });

  it('needs a table name without a loopback endpoint', async () => {
    await expect(resolveTarget({}, io(), 'c', { resolvePath })).rejects.toThrow(
      'give --config FILE, or a table',
    );
  });
});

describe('fetchText', () => {
  const respond = (body: BodyInit | null, status = 200): typeof fetch =>
    (async () => new Response(body, { status })) as typeof fetch;

  it('refuses plain http except on loopback', () => {
    expect(() => parseFetchUrl('http://idp.example/md', 'x')).toThrow('must be https');
    expect(parseFetchUrl('http://127.0.0.1:8080/md', 'x').port).toBe('8080');
    expect(() => parseFetchUrl('not a url', 'x')).toThrow('not a URL');
  });

  it('returns the body, refuses a non-200 answer and a body over 1 MB', async () => {
    const url = new URL('https://idp.example/md');
    await expect(fetchText(io({}, respond('<md/>')), url, 'x')).resolves.toBe('<md/>');
    await expect(fetchText(io({}, respond('gone', 404)), url, 'x')).rejects.toThrow('HTTP 404');
    const big = new Uint8Array(MAX_DOCUMENT_BYTES + 1);
    await expect(fetchText(io({}, respond(big)), url, 'x')).rejects.toThrow('larger than 1 MB');
    const failing = (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    await expect(fetchText(io({}, failing), url, 'x')).rejects.toThrow('ECONNREFUSED');
  });

  it('refuses a document over 1 MB with one code, fetched or read from a file', async () => {
    const big = new Uint8Array(MAX_DOCUMENT_BYTES + 1).fill(0x20);
    const dir = mkdtempSync(join(tmpdir(), 'fetch-text-'));
    writeFileSync(join(dir, 'big.xml'), big);
    writeFileSync(join(dir, 'ok.xml'), big.subarray(0, MAX_DOCUMENT_BYTES));
    const inDir = (p: string) => join(dir, p);
    const tooLarge = { code: 'document_too_large' };
    const respond = (async () => new Response(big)) as typeof fetch;
    await expect(
      readTextRef(io({}, respond), 'https://idp.example/md', inDir, 'metadata'),
    ).rejects.toMatchObject(tooLarge);
    await expect(readTextRef(io(), 'big.xml', inDir, 'metadata')).rejects.toMatchObject(tooLarge);
    expect((await readTextRef(io(), 'ok.xml', inDir, 'metadata')).length).toBe(MAX_DOCUMENT_BYTES);
    await expect(readTextRef(io(), 'absent.xml', inDir, 'metadata')).rejects.toMatchObject({
      code: 'fetch_failed',
      message: expect.stringContaining('ENOENT'),
    });
  });
});

describe('output helpers', () => {
  it('formats a rule on two lines: priority, id, effect, role; then its conditions', () => {
    expect(
      formatRule({
        id: 'no-contractors',
        priority: 1,
        effect: 'deny',
        when: [{ claim: 'type', op: 'equals', value: 'contractor', ignoreCase: true }],
      }),
    ).toBe(
      '     1  no-contractors           deny  every role\n        when type equals "contractor" (ignore case)',
    );
  });

  it('describes a table save by keys, and a dry run as such', () => {
    expect(
      describeSave({
        kind: 'table',
        table: 't',
        applied: false,
        puts: [{ key: 'IDP#a/CONFIG', kind: 'idp', change: 'changed' }],
        deletes: [{ key: 'ACCOUNT#1/PROFILE' }],
      }),
    ).toBe(
      'dry run: table t: would put 1, would delete 1\n  put    IDP#a/CONFIG (idp, changed)\n  delete ACCOUNT#1/PROFILE',
    );
    const file = { kind: 'file', path: '/x.yaml', changed: true, reformatted: false } as const;
    expect(describeSave({ ...file, written: true })).toBe('wrote /x.yaml');
    expect(describeSave({ ...file, changed: false, written: false })).toBe(
      '/x.yaml unchanged: nothing written',
    );
  });
});

describe('withConsistentReads', () => {
  it('makes every read strongly consistent and passes the command on', async () => {
    const sent: unknown[] = [];
    const port = withConsistentReads({
      send: (async (command: unknown) => {
        sent.push(command);
        return { ok: true };
      }) as never,
    });
    const commands = [
      new QueryCommand({ TableName: 't' }),
      new ScanCommand({ TableName: 't' }),
      new GetItemCommand({ TableName: 't', Key: {} }),
      new BatchGetItemCommand({ RequestItems: { t: { Keys: [] }, u: { Keys: [] } } }),
      new PutItemCommand({ TableName: 't', Item: {} }),
    ];
    for (const c of commands) expect(await port.send(c as never)).toEqual({ ok: true });
    expect(sent).toEqual(commands);
    expect(
      commands.slice(0, 3).map((c) => (c.input as { ConsistentRead?: boolean }).ConsistentRead),
    ).toEqual([true, true, true]);
    expect(Object.values((commands[3] as BatchGetItemCommand).input.RequestItems ?? {})).toEqual([
      { Keys: [], ConsistentRead: true },
      { Keys: [], ConsistentRead: true },
    ]);
    expect(commands[4]?.input).not.toHaveProperty('ConsistentRead');
  });
});
