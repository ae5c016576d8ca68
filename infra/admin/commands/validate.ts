import { readFile } from 'node:fs/promises';
import {
  ConfigError,
  type GatewayConfig,
  lintGatewayConfig,
} from '../../../shared/config/index.js';
import { GatewayError } from '../../../shared/http/errors.js';
import { compileSamlTrust } from '../../../shared/saml/trust.js';
import { loadGatewayConfigFile } from '../../config-file.js';
import { COMMON_OPTIONS, type Command, VAR_HELP } from '../command.js';

const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/**
 * Beyond the schema: every SAML IdP's trust anchor must compile as the gateway would compile it
 * at cold start (metadata parses, certificates are RSA ≥ 2048), so a bad certificate fails here
 * rather than on the first sign-in.
 */
export const checkSamlTrust = (config: GatewayConfig): { path: string; message: string }[] =>
  config.idps.flatMap((idp, i) => {
    if (idp.protocol !== 'saml') return [];
    try {
      compileSamlTrust(idp);
      return [];
    } catch (err) {
      const why = err instanceof GatewayError ? (err.detail ?? err.description) : String(err);
      return [{ path: `idps[${i}].saml`, message: why }];
    }
  });

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a gateway config file (schema, metadata, certificates)',
  help: `Usage: fedgate-admin validate <config.(json|yaml)> [--var NAME=VALUE] [--json]

Checks a gateway config file as the local runner and the CDK app load it: YAML/JSON syntax,
\`metadataFile\` references, the schema (every problem named by its path, e.g.
idps[0].rules[2].grant.roleArn), every \`matches\` pattern compiled with RE2, and every SAML
IdP's metadata and certificates. A valid file may still draw warnings (printed, exit 0): rules
or subject claims keyed on claims users can change (email, UPN, preferred_username…), and deny
conditions that let a missing claim through (ifMissing: noMatch).
Exit 0 when valid, 1 when not.

${VAR_HELP}

Example:
  fedgate-admin validate gateway.yaml
  fedgate-admin validate infra/local/demo-config.yaml --var LOCAL_BASE_URL=http://127.0.0.1:8787`,
  options: { ...COMMON_OPTIONS, var: { type: 'string', multiple: true } },
  positionals: { min: 1, max: 1, names: '<config file>' },
  async run(ctx) {
    const file = ctx.positionals[0] as string;
    const path = ctx.resolvePath(file);
    let config: GatewayConfig | undefined;
    let issues: { path: string; message: string }[];
    const headline = `${file} is invalid:`;
    try {
      config = await loadGatewayConfigFile(path, ctx.vars);
      issues = checkSamlTrust(config);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues = [...err.issues];
    }
    if (config === undefined || issues.length > 0) {
      const text = await readFile(path, 'utf8').catch(() => '');
      const unset = [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))].filter(
        (name) => !(name in ctx.vars) && !text.includes(`#${name}`),
      );
      const hints = unset.map((name) => `the file uses \${${name}}: pass --var ${name}=…`);
      return {
        exitCode: 1,
        json: { valid: false, file, issues, hints },
        text: [
          headline,
          ...issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`),
          ...hints.map((h) => `hint: ${h}`),
        ].join('\n'),
      };
    }
    const rules = config.idps.reduce((n, idp) => n + idp.rules.length, 0);
    const warnings = lintGatewayConfig(config);
    return {
      json: {
        valid: true,
        file,
        warnings,
        gatewayRules: config.gatewayRules.length,
        idps: config.idps.map((idp) => ({
          id: idp.id,
          protocol: idp.protocol,
          rules: idp.rules.length,
        })),
        accounts: config.accounts.length,
      },
      text: [
        `${file} is valid: ${config.idps.length} IdPs (${config.idps.map((i) => `${i.id} ${i.protocol}`).join(', ')}), ${rules} rules, ${config.gatewayRules.length} gateway rules, ${config.accounts.length} accounts`,
        ...warnings.map((w) => `warning: ${w.path}: ${w.message}`),
      ].join('\n'),
    };
  },
};
