import { writeSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { runCli } from '../../shared/cli-client/main.js';

/** Replaced by the package build (infra/packages/build-cli.ts) with the package's version. */
declare const FEDGATE_CLI_VERSION: string | undefined;

const username = (): string => {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? '';
  }
};

/**
 * Writes to a standard stream's file descriptor directly. `process.stdout` would load Node's
 * stream modules, the larger part of what the fast path costs over `node -e 0` (credential_process
 * runs `fedgate credentials` before AWS commands). A descriptor that is non-blocking after all
 * (EAGAIN) gets the rest through the stream.
 */
const writeTo = (fd: 1 | 2) => (text: string) => {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(done));
  }
};

// The `fedgate` command: the process's surroundings handed to the CLI (shared/cli-client), which
// reads nothing from the process itself.
void runCli(
  process.argv.slice(2),
  {
    env: process.env,
    platform: process.platform,
    homedir: homedir(),
    hostname: hostname(),
    username: username(),
    version: typeof FEDGATE_CLI_VERSION === 'string' ? FEDGATE_CLI_VERSION : 'dev',
    stdout: writeTo(1),
    stderr: writeTo(2),
    now: Date.now,
  },
  process.argv[1] ?? '',
).then((code) => {
  process.exitCode = code;
});
