import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A SAMLResponse from the runner's demo IdP for a demo person, as the IdP's auto-post page
 * carries it (signed, fresh, IdP-initiated unless `inResponseTo` is given).
 */
export const demoSamlResponse = async (
  runner: URL,
  idp: string,
  user: string,
  inResponseTo?: string,
): Promise<string> => {
  const res = await fetch(new URL(`/_local/idp/${idp}/signin`, runner), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user, ...(inResponseTo ? { inResponseTo } : {}) }).toString(),
  });
  const page = await res.text();
  const value = /name="SAMLResponse" value="([^"]+)"/.exec(page)?.[1];
  if (!value) throw new Error(`demo IdP gave no SAMLResponse (${res.status})`);
  return value.replaceAll('&#43;', '+').replaceAll('&#61;', '=').replaceAll('&#47;', '/');
};

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
