import { describe, expect, it } from 'vitest';
import { awsConfigPathOf, statePathsOf } from '../../../shared/cli-client/paths.js';

describe('statePathsOf: the platform config directory', () => {
  it.each([
    ['linux', { XDG_CONFIG_HOME: '/home/a/.xdg' }, '/home/a', '/home/a/.xdg/fedgate/state.json'],
    ['linux', {}, '/home/a', '/home/a/.config/fedgate/state.json'],
    // XDG: a relative XDG_CONFIG_HOME is invalid and ignored.
    ['linux', { XDG_CONFIG_HOME: 'rel/dir' }, '/home/a', '/home/a/.config/fedgate/state.json'],
    ['freebsd', {}, '/home/a', '/home/a/.config/fedgate/state.json'],
    [
      'darwin',
      { XDG_CONFIG_HOME: '/x' },
      '/Users/a',
      '/Users/a/Library/Application Support/fedgate/state.json',
    ],
    [
      'win32',
      { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' },
      'C:\\Users\\a',
      'C:\\Users\\a\\AppData\\Roaming\\fedgate\\state.json',
    ],
    ['win32', {}, 'C:\\Users\\a', 'C:\\Users\\a\\AppData\\Roaming\\fedgate\\state.json'],
    ['linux', { FEDGATE_CONFIG_DIR: '/tmp/fg' }, '/home/a', '/tmp/fg/state.json'],
  ])('%s %j → %s', (platform, env, homedir, state) => {
    const paths = statePathsOf({ platform, env, homedir });
    expect(paths.state).toBe(state);
    expect(paths.lock.replace(/state\.lock$/, 'state.json')).toBe(state);
  });

  it('finds the AWS config file: AWS_CONFIG_FILE, else ~/.aws/config', () => {
    expect(awsConfigPathOf({ platform: 'linux', env: {}, homedir: '/home/a' })).toBe(
      '/home/a/.aws/config',
    );
    expect(
      awsConfigPathOf({ platform: 'linux', env: { AWS_CONFIG_FILE: '/x/c' }, homedir: '/h' }),
    ).toBe('/x/c');
    expect(awsConfigPathOf({ platform: 'win32', env: {}, homedir: 'C:\\Users\\a' })).toBe(
      'C:\\Users\\a\\.aws\\config',
    );
  });
});
