import { posix, win32 } from 'node:path';

/** Where the CLI keeps its one state file. */
export interface StatePaths {
  dir: string;
  state: string;
  lock: string;
}

/**
 * The platform's per-user config directory for fedgate: `$XDG_CONFIG_HOME/fedgate` (or
 * `~/.config/fedgate`; a relative XDG_CONFIG_HOME is ignored, as the XDG spec says) on Linux and
 * other Unixes, `~/Library/Application Support/fedgate` on macOS, `%APPDATA%\fedgate` on Windows.
 * `FEDGATE_CONFIG_DIR` overrides it (tests, several identities side by side).
 */
export const statePathsOf = (opts: {
  platform: string;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
}): StatePaths => {
  const path = opts.platform === 'win32' ? win32 : posix;
  const { env, homedir } = opts;
  let dir: string;
  if (env.FEDGATE_CONFIG_DIR) dir = env.FEDGATE_CONFIG_DIR;
  else if (opts.platform === 'win32') {
    dir = path.join(env.APPDATA || path.join(homedir, 'AppData', 'Roaming'), 'fedgate');
  } else if (opts.platform === 'darwin') {
    dir = path.join(homedir, 'Library', 'Application Support', 'fedgate');
  } else {
    const xdg = env.XDG_CONFIG_HOME;
    dir = path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(homedir, '.config'), 'fedgate');
  }
  return { dir, state: path.join(dir, 'state.json'), lock: path.join(dir, 'state.lock') };
};

/** The AWS config file `fedgate configure` edits: `AWS_CONFIG_FILE`, else `~/.aws/config`. */
export const awsConfigPathOf = (opts: {
  platform: string;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
}): string =>
  opts.env.AWS_CONFIG_FILE ||
  (opts.platform === 'win32' ? win32 : posix).join(opts.homedir, '.aws', 'config');
