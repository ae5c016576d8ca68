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
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    now: Date.now,
  },
  process.argv[1] ?? '',
).then((code) => {
  process.exitCode = code;
});
