import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPlugins } from '../../infra/local/default-plugins.js';
import {
  type EmbeddedDynamoDb,
  startEmbeddedDynamoDb,
} from '../../infra/local/embedded-dynamodb.js';
import { type LocalGateway, startLocalGateway } from '../../infra/local/gateway.js';

/**
 * The embedded database takes any credentials, so whoever reaches its port can write rules or read
 * live sessions: `npm start` must keep it to loopback. Checked by connecting to the port through
 * every non-loopback address this machine has (os.networkInterfaces()).
 */

const nonLoopbackAddresses = (): string[] =>
  Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal)
    // Link-local IPv6 needs a scope id to connect; the other addresses say the same.
    .filter((a) => a?.family === 'IPv4' || !a?.address.startsWith('fe80:'))
    .map((a) => a?.address as string);

/** 'open' when a TCP connection is accepted, else the error code (ECONNREFUSED, …). */
const probe = (host: string, port: number): Promise<string> =>
  new Promise((done) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      done('open');
    });
    socket.once('timeout', () => {
      socket.destroy();
      done('ETIMEDOUT');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

// This machine has at least one (checked below); a machine without any could not test this and
// would need one made (as root: `ip link add fedgate0 type dummy && ip addr add 192.0.2.99/32 dev
// fedgate0 && ip link set fedgate0 up`).
const addresses = nonLoopbackAddresses();

describe('the embedded DynamoDB is reachable on loopback only', () => {
  it('this machine has a non-loopback address to test with', () => {
    expect(addresses.length).toBeGreaterThan(0);
  });

  describe('DynamoDB Local (startEmbeddedDynamoDb)', () => {
    let db: EmbeddedDynamoDb;
    beforeAll(async () => {
      db = await startEmbeddedDynamoDb({ port: 0 });
    });
    afterAll(() => db?.stop());

    it('runs AWS DynamoDB Local itself, with no fallback notice', () => {
      expect(db.engine).toBe('dynamodb-local');
      expect(db.notice).toBeUndefined();
    });

    it('answers on 127.0.0.1 and refuses every other address of the machine', async () => {
      const port = portOf(db.endpoint);
      expect(await probe('127.0.0.1', port)).toBe('open');
      for (const address of addresses) {
        expect(`${address}: ${await probe(address, port)}`).not.toBe(`${address}: open`);
      }
    });
  });

  describe('npm start (startLocalGateway with DynamoDB Local)', () => {
    let gateway: LocalGateway;
    beforeAll(async () => {
      gateway = await startLocalGateway({
        port: 0,
        configPath: 'infra/local/demo-config.yaml',
        engine: 'dynamodb-local',
        plugins: defaultPlugins(),
      });
    });
    afterAll(() => gateway?.stop());

    it('says which engine runs, and keeps it to 127.0.0.1', async () => {
      expect(gateway.dynamo.engine).toBe('dynamodb-local');
      expect(gateway.dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const port = portOf(gateway.dynamo.endpoint);
      expect(await probe('127.0.0.1', port)).toBe('open');
      for (const address of addresses) {
        expect(`${address}: ${await probe(address, port)}`).not.toBe(`${address}: open`);
      }
    });
  });
});

describe('without a JDK to build the launcher', () => {
  it('runs dynalite on loopback and says why, never an exposed DynamoDB Local', async () => {
    // A PATH with java but no javac, and an empty launcher cache: a JRE-only machine.
    const bin = mkdtempSync(join(tmpdir(), 'fedgate-jre-'));
    const cache = mkdtempSync(join(tmpdir(), 'fedgate-launcher-'));
    symlinkSync('/usr/bin/java', join(bin, 'java'));
    const path = process.env.PATH;
    process.env.PATH = bin;
    let db: EmbeddedDynamoDb | undefined;
    try {
      db = await startEmbeddedDynamoDb({ port: 0, launcherCacheDir: cache });
    } finally {
      process.env.PATH = path;
    }
    try {
      expect(db.engine).toBe('dynalite');
      expect(db.notice).toMatch(/cannot be held to 127\.0\.0\.1 here \(no javac/);
      const port = portOf(db.endpoint);
      expect(await probe('127.0.0.1', port)).toBe('open');
      for (const address of addresses) {
        expect(`${address}: ${await probe(address, port)}`).not.toBe(`${address}: open`);
      }
    } finally {
      await db.stop();
      rmSync(bin, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
