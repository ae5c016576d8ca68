import type { GatewayConfig } from '../../shared/config/index.js';

/** A role the gateway config grants, as the target account must define it. */
export interface ConfigRole {
  account: string;
  /** IAM path, `/` or `/a/b/`. */
  path: string;
  name: string;
  /** The longest session any grant of this role asks for, within IAM's 1-12 h. */
  maxSessionSeconds: number;
  /** `idp/rule` ids granting it, for the role's description. */
  grantedBy: string[];
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role(\/(?:[^/]+\/)*)?([^/]+)$/;
const IAM_MIN_MAX_SESSION = 3600;
const IAM_MAX_MAX_SESSION = 43_200;

/**
 * The roles of a validated gateway config, one per role ARN any allow rule grants, with the
 * longest session duration its grants ask for (a grant's own, else the config's default). The
 * target-account stack builds their trust policies from this, so mapping and trust cannot drift.
 */
export const rolesFromConfig = (config: GatewayConfig): ConfigRole[] => {
  const roles = new Map<string, ConfigRole>();
  for (const idp of config.idps) {
    for (const rule of idp.rules) {
      if (rule.effect !== 'allow') continue;
      const match = ROLE_ARN.exec(rule.grant.roleArn);
      if (!match) continue; // the config schema already refused it
      const [, account, path, name] = match as unknown as [string, string, string, string];
      const seconds = Math.min(
        IAM_MAX_MAX_SESSION,
        Math.max(
          IAM_MIN_MAX_SESSION,
          rule.grant.sessionDurationSeconds ?? config.defaults.sessionDurationSeconds,
        ),
      );
      const role = roles.get(rule.grant.roleArn);
      if (role) {
        role.maxSessionSeconds = Math.max(role.maxSessionSeconds, seconds);
        role.grantedBy.push(`${idp.id}/${rule.id}`);
      } else {
        roles.set(rule.grant.roleArn, {
          account,
          path: path ?? '/',
          name,
          maxSessionSeconds: seconds,
          grantedBy: [`${idp.id}/${rule.id}`],
        });
      }
    }
  }
  return [...roles.values()];
};
