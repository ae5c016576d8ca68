import { type ChildProcess, spawn } from 'node:child_process';

/** A fresh SAMLResponse from a runner's demo IdP (see infra/local/demo/saml-idps.ts). */
export { fetchDemoSamlResponse as demoSamlResponse } from '../../infra/local/demo/saml-idps.js';

/** POSTs a SAMLResponse to a runner's ACS without following redirects. */
export const postToAcs = (runner: URL, idp: string, samlResponse: string, cookie?: string) =>
  fetch(new URL(`/saml/${idp}/acs`, runner), {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie ? { cookie } : {}),
    },
    body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
  });

/**
 * A second runner in its own process (its own module cache, config cache and SDK clients: a
 * second "container"), started with `npm start`'s entry point and the given flags.
 */
export const spawnRunner = async (
  args: string[],
): Promise<{ url: URL; child: ChildProcess; stop: () => Promise<void> }> => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'infra/local/main.ts', '--port', '0', ...args],
    {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runner did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /fedgate local gateway\s+(http:\/\/[^/\s]+)\//.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(new URL(m[1] as string));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`runner exited ${code}:\n${output}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url, child, stop };
};
