import { type Clock, systemClock } from '../clock.js';
import { GatewayMisconfiguredError } from '../http/errors.js';

/**
 * Resolves a secret reference to the secret. `arn:aws:secretsmanager:…` and `ssm:/…` go through
 * this port: in Lambda `createExtensionSecretPort` (aws-secrets.ts, the AWS Parameters and
 * Secrets Lambda Extension over HTTP, no SDK client bundled); without one those references are
 * refused with a clear misconfiguration error.
 */
export type AwsSecretPort = (ref: string) => Promise<string>;

export interface SecretResolverDeps {
  /** `env:NAME` → the variable (functions/ pass `process.env`, the only place it is read). */
  readEnv: (name: string) => string | undefined;
  /** `file:path` → the file's text (the local runner). */
  readFile?: (path: string) => Promise<string>;
  /** `arn:aws:secretsmanager:…` / `ssm:/…`. */
  aws?: AwsSecretPort;
  /** Resolved secrets are kept this long per container (default 300 s); 0 keeps none. */
  cacheSeconds?: number;
  /** The clock (shared/clock.ts), read at each call so fake clocks apply. */
  clock?: Clock;
}

export type SecretResolver = (ref: string) => Promise<string>;

/**
 * Creates the resolver of `oidc.clientSecretRef` values. Secrets are cached per container for a
 * few minutes (a rotated secret is picked up without a deploy) and never logged: errors name the
 * reference's kind, not its value.
 * @throws server_error (GatewayMisconfiguredError) when the reference cannot be resolved.
 * @example const resolve = createSecretResolver({ readEnv: (n) => process.env[n] });
 * await resolve('env:OKTA_CLIENT_SECRET');
 */
export const createSecretResolver = (deps: SecretResolverDeps): SecretResolver => {
  const cacheMs = (deps.cacheSeconds ?? 300) * 1000;
  const now = deps.clock ?? systemClock;
  const cache = new Map<string, { value: string; until: number }>();

  const load = async (ref: string): Promise<string> => {
    if (ref.startsWith('env:')) {
      const value = deps.readEnv(ref.slice(4));
      if (!value) throw new GatewayMisconfiguredError(`client secret: ${ref} is not set`);
      return value;
    }
    if (ref.startsWith('file:')) {
      if (!deps.readFile)
        throw new GatewayMisconfiguredError(
          'client secret: file: references are not available here',
        );
      try {
        const value = (await deps.readFile(ref.slice(5))).trim();
        if (value) return value;
      } catch (cause) {
        throw new GatewayMisconfiguredError('client secret: the file: reference cannot be read', {
          cause,
        });
      }
      throw new GatewayMisconfiguredError('client secret: the file: reference is empty');
    }
    if (ref.startsWith('arn:aws') || ref.startsWith('ssm:')) {
      if (!deps.aws) {
        throw new GatewayMisconfiguredError(
          `client secret: ${ref.startsWith('ssm:') ? 'ssm:' : 'Secrets Manager'} references need a secret port (the AWS Parameters and Secrets Lambda Extension in Lambda), and none was given here (use env: or file:, see shared/oidc/README.md)`,
        );
      }
      return deps.aws(ref);
    }
    throw new GatewayMisconfiguredError('client secret: unknown reference kind');
  };

  return async (ref) => {
    const hit = cache.get(ref);
    if (hit && hit.until > now()) return hit.value;
    const value = await load(ref);
    if (cacheMs > 0) cache.set(ref, { value, until: now() + cacheMs });
    return value;
  };
};
