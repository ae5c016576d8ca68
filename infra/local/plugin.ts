import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the local runner tells its plugins. */
export interface LocalContext {
  /** The runner's public base URL, e.g. http://127.0.0.1:8787: what published URLs are built from. */
  baseUrl: URL;
  /**
   * Where this runner listens: what the functions call directly (the STS and federation
   * stand-ins). The same as `baseUrl` unless several runners share one public URL.
   */
  listenUrl: URL;
  /** The ignored working folder for generated keys and files (`.local/`). */
  workDir: string;
}

/**
 * A piece of the local world that the deployed gateway gets from elsewhere: demo upstream IdPs
 * (SAML, OIDC), stand-ins for STS and the console federation endpoint. Plugins plug into the
 * runner at five points, in this order: `prepare` (before the gateway config is read: write files
 * it refers to, return `${VARS}` for it), `env` (variables the functions need, e.g.
 * `AWS_ENDPOINT_URL_STS`), `handle` (requests under `prefix`), `started` and `stop`.
 */
export interface LocalPlugin {
  name: string;
  prepare?(ctx: LocalContext): Promise<Record<string, string> | undefined>;
  env?(ctx: LocalContext): Record<string, string>;
  /** Requests whose path starts with this prefix go to `handle` (e.g. `/_local/sts/`). */
  prefix?: string;
  handle?(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    ctx: LocalContext,
  ): Promise<void>;
  /** After the gateway serves requests, before the runner reports it started (the demo provisioning run). */
  started?(ctx: LocalContext): Promise<void>;
  /** Lines for the start-up summary. */
  describe?(ctx: LocalContext): string[];
  stop?(): Promise<void>;
}
