import { spawn } from 'node:child_process';

/**
 * The command that opens a URL in the person's browser, never through a shell (the URL is one
 * argument): `BROWSER` when set (split on spaces; `%s` is replaced by the URL, else it is
 * appended), else `open` on macOS, `rundll32 url.dll,FileProtocolHandler` on Windows (no `cmd
 * start`, which would re-parse `&` in the URL), `xdg-open` elsewhere.
 */
export const browserCommand = (
  url: string,
  opts: { platform: string; env: Readonly<Record<string, string | undefined>> },
): { command: string; args: string[] } => {
  const custom = opts.env.BROWSER?.trim();
  if (custom) {
    const [command, ...rest] = custom.split(/\s+/) as [string, ...string[]];
    return rest.includes('%s')
      ? { command, args: rest.map((a) => (a === '%s' ? url : a)) }
      : { command, args: [...rest, url] };
  }
  if (opts.platform === 'darwin') return { command: 'open', args: [url] };
  if (opts.platform === 'win32') {
    return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  }
  return { command: 'xdg-open', args: [url] };
};

/** Opens the URL; rejects when the opener cannot be started or fails at once. */
export const openInBrowser = (
  url: string,
  opts: { platform: string; env: Readonly<Record<string, string | undefined>> },
): Promise<void> =>
  new Promise((done, fail) => {
    const { command, args } = browserCommand(url, opts);
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', (err) => fail(err));
    child.once('spawn', () => {
      child.unref();
      done();
    });
  });
