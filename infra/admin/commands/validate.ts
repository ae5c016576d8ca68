import { type GatewayConfig, lintGatewayConfig } from '../../../shared/config/index.js';
import { GatewayError } from '../../../shared/http/errors.js';
import { compileSamlTrust } from '../../../shared/saml/trust.js';
import { checkGatewayConfigFile, type IdpCheck } from '../../config-file.js';
import { COMMON_OPTIONS, type Command, type CommandContext, VAR_HELP } from '../command.js';

/**
 * Beyond the schema: an IdP's SAML trust anchor must compile as the gateway would compile it at
 * cold start (metadata parses, certificates are RSA ≥ 2048), so a bad certificate fails here
 * rather than on the first sign-in.
 */
export const checkIdpTrust: IdpCheck = (idp) => {
  if (idp.protocol !== 'saml') return undefined;
  try {
    compileSamlTrust(idp);
    return undefined;
  } catch (err) {
    return err instanceof GatewayError ? (err.detail ?? err.description) : String(err);
  }
};

/** The same for a whole config: one issue per SAML IdP that would not compile. */
export const checkSamlTrust = (config: GatewayConfig): { path: string; message: string }[] =>
  config.idps.flatMap((idp, i) => {
    const why = checkIdpTrust(idp);
    return why ? [{ path: `idps[${i}].saml`, message: why }] : [];
  });

/**
 * The defaulted variables worth a note, and what each stands for (infra/admin/command.ts).
 * `DEMO_SCIM_TOKEN_DIR` is defaulted silently: a token file's directory changes nothing that
 * validation checks (the token is read only by the scim function).
 */
const NOTED_VARIABLES: Readonly<Record<string, string>> = {
  LOCAL_BASE_URL: "the local runner's origin",
};

/** Notes on the variables a file uses but the command line did not give. */
export const variableNotes = (
  placeholders: readonly string[],
  ctx: Pick<CommandContext, 'vars' | 'defaultedVars'>,
): { notes: string[]; hints: string[] } => ({
  notes: placeholders
    .filter((name) => ctx.defaultedVars.includes(name) && Object.hasOwn(NOTED_VARIABLES, name))
    .map(
      (name) =>
        `\${${name}} is ${NOTED_VARIABLES[name]}: read as ${ctx.vars[name]}, its default (--var ${name}=… for another)`,
    ),
  hints: placeholders
    .filter((name) => !(name in ctx.vars))
    .map((name) => `the file uses \${${name}}: pass --var ${name}=…`),
});

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a gateway config file (schema, metadata, certificates)',
  help: `Usage: fedgate-admin validate <config.(json|yaml)> [--var NAME=VALUE] [--json]

Checks a gateway config file as the local runner and the CDK app load it, and reports every
problem in one run, each with its path, line and column: YAML/JSON syntax (the parser's message
whole), \`metadataFile\` references, the schema (e.g. idps[0].rules[2].grant.roleArn; an unknown
key gets a "did you mean" from the schema's keys there), every \`matches\` pattern compiled with
RE2, and every SAML IdP's metadata and certificates. A valid file may still draw warnings
(printed, exit 0): rules or subject claims keyed on claims users can change (email, UPN,
preferred_username…), and deny conditions that let a missing claim through (ifMissing: noMatch).
Exit 0 when valid, 1 when not.

${VAR_HELP}

Example:
  fedgate-admin validate gateway.yaml
  fedgate-admin validate infra/local/demo-config.yaml`,
  options: { ...COMMON_OPTIONS, var: { type: 'string', multiple: true } },
  positionals: { min: 1, max: 1, names: '<config file>' },
  async run(ctx) {
    const file = ctx.positionals[0] as string;
    const { config, issues, placeholders } = await checkGatewayConfigFile(
      ctx.resolvePath(file),
      ctx.vars,
      { idpCheck: checkIdpTrust },
    );
    const { notes, hints } = variableNotes(placeholders, ctx);
    if (issues.some((i) => i.path.endsWith('.metadataFile') && i.message.includes('/.local/'))) {
      // The demo config's SAML metadata is the runner's own output, not part of the checkout.
      hints.push(
        ".local/ is the local runner's work directory: `npm start` writes the demo IdPs' metadata there when it starts",
      );
    }
    if (config === undefined) {
      return {
        exitCode: 1,
        json: { valid: false, file, issues, hints, notes },
        text: [
          `${file} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):`,
          ...issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`),
          ...hints.map((h) => `hint: ${h}`),
          ...notes.map((n) => `note: ${n}`),
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
        notes,
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
        ...notes.map((n) => `note: ${n}`),
        ...warnings.map((w) => `warning: ${w.path}: ${w.message}`),
      ].join('\n'),
    };
  },
};
