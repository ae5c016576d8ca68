import { readFileSync } from 'node:fs';
import { Annotations, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MAX_SUBJECT_LENGTH, roleBoundSubjectPattern } from '../../shared/issuer/index.js';
import {
  INITIAL_REVOCATION_POLICY,
  REVOCATION_POLICY_NAME,
  REVOCATION_WRITER_ROLE_NAME,
} from '../admin/kill-switch.js';
import type { ConfigRole } from './config-roles.js';

/**
 * The IAM policy variable of the session tag the example ABAC role keys on: IAM substitutes the
 * caller's `department` tag (the one fedgate signs into the assertion or token).
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JS template
export const DEPARTMENT_TAG_VARIABLE = '${aws:PrincipalTag/department}';

/** The Audience / recipient STS checks for AssumeRoleWithSAML (`SAML:aud` in trust policies). */
export const AWS_SAML_AUDIENCE = 'https://signin.aws.amazon.com/saml';

export interface FedgateTrustProps {
  /** fedgate's public issuer URL, e.g. `https://sso.example.com` (no trailing slash). */
  issuerUrl: string;
  /** The client id (`aud`) of fedgate's web identity tokens. */
  webIdentityAudience: string;
  /** Name of the IAM SAML provider (fedgate's SAML_PROVIDER_NAME). */
  samlProviderName: string;
  /**
   * fedgate's published IdP metadata (`GET /aws/saml-metadata.xml`), saved after the gateway's
   * first deploy. Without it no SAML provider is created (a warning says so).
   */
  samlMetadataXml?: string;
  /**
   * Regional sign-in endpoint region when fedgate's SIGNIN_REGION is set: the SAML recipient then
   * is `https://<region>.signin.aws.amazon.com/saml`, which is what `SAML:aud` sees.
   */
  signinRegion?: string;
  /**
   * IAM principals (role, user or account ARNs: the operators) that may assume
   * `fedgate-revocation-writer` to revoke live sessions. Empty: no writer role (a warning says so).
   */
  revocationWriterPrincipalArns?: readonly string[];
}

/** What the revocation writer may do, on the revocation policy only (infra/admin/kill-switch-aws.ts). */
export const REVOCATION_WRITER_ACTIONS = [
  'iam:CreatePolicyVersion',
  'iam:DeletePolicyVersion',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  'iam:ListPolicyVersions',
] as const;

/**
 * fedgate registered in one AWS account: the IAM SAML provider (fedgate's IdP metadata) and the
 * IAM OIDC provider (fedgate's issuer URL and web identity audience). Roles trust them through
 * {@link fedgateTrustStatements} (or {@link FedgateRole}), which pin the audience, bind web
 * identity to the role and allow session tags and source identity. Also the kill switch's IAM
 * side: the `fedgate-session-revocations` policy every {@link FedgateRole} carries as its
 * permissions boundary, and the `fedgate-revocation-writer` role that may change only it.
 */
export class FedgateTrust extends Construct {
  readonly samlProvider: iam.SamlProvider | undefined;
  readonly oidcProvider: iam.OidcProviderNative;
  /** `fedgate-session-revocations`: the boundary of every fedgate role (infra/admin/kill-switch.ts). */
  readonly revocationPolicy: iam.ManagedPolicy;
  /** `fedgate-revocation-writer`, when operators are named. */
  readonly revocationWriter: iam.Role | undefined;
  readonly props: FedgateTrustProps;

  constructor(scope: Construct, id: string, props: FedgateTrustProps) {
    super(scope, id);
    if (!/^https:\/\/[^/?#]+(\/[^?#]*[^/?#])?$/.test(props.issuerUrl)) {
      throw new Error(`issuerUrl must be https without a trailing slash, got ${props.issuerUrl}`);
    }
    this.props = props;
    if (props.samlMetadataXml !== undefined) {
      this.samlProvider = new iam.SamlProvider(this, 'SamlProvider', {
        name: props.samlProviderName,
        metadataDocument: iam.SamlMetadataDocument.fromXml(props.samlMetadataXml),
      });
    } else {
      Annotations.of(this).addWarningV2(
        'fedgate:samlMetadataMissing',
        "No SAML provider: save fedgate's /aws/saml-metadata.xml and set samlMetadataFile (README).",
      );
    }
    // The native IAM OIDC provider (AWS::IAM::OIDCProvider): no custom-resource Lambda in every
    // account; IAM obtains the issuer's TLS certificate itself, so no thumbprint is pinned.
    this.oidcProvider = new iam.OidcProviderNative(this, 'OidcProvider', {
      url: props.issuerUrl,
      clientIds: [props.webIdentityAudience],
    });

    // The kill switch (infra/cdk/README.md, "Revoking live sessions"). The template's document
    // never changes: the admin command writes new versions, and a template change would make
    // CloudFormation write its own version over the live revocations.
    this.revocationPolicy = new iam.ManagedPolicy(this, 'SessionRevocations', {
      managedPolicyName: REVOCATION_POLICY_NAME,
      description:
        'fedgate: permissions boundary of fedgate roles; Deny statements refuse revoked sessions',
      document: iam.PolicyDocument.fromJson(INITIAL_REVOCATION_POLICY),
    });
    Validations.of(this.revocationPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Action::*]',
      reason:
        'A permissions boundary grants nothing: Allow * only leaves each role its own ' +
        'permissions, and the Deny statements the kill switch adds refuse revoked sessions.',
    });
    Validations.of(this.revocationPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'A permissions boundary grants nothing: Allow * only leaves each role its own ' +
        'permissions, and the Deny statements the kill switch adds refuse revoked sessions.',
    });

    const writers = props.revocationWriterPrincipalArns ?? [];
    if (writers.length > 0) {
      this.revocationWriter = new iam.Role(this, 'RevocationWriter', {
        roleName: REVOCATION_WRITER_ROLE_NAME,
        description: 'fedgate: revokes live sessions by writing fedgate-session-revocations only',
        // Only a placeholder: the trust policy is set whole below.
        assumedBy: new iam.AccountRootPrincipal(),
        maxSessionDuration: Duration.hours(1),
        inlinePolicies: {
          WriteSessionRevocations: new iam.PolicyDocument({
            statements: [
              new iam.PolicyStatement({
                sid: 'WriteSessionRevocationsOnly',
                actions: [...REVOCATION_WRITER_ACTIONS],
                resources: [this.revocationPolicy.managedPolicyArn],
              }),
            ],
          }),
        },
      });
      // The operators may be in a fedgate session themselves: chaining keeps its source identity
      // and transitive tags, which STS allows only with these two actions in the trust policy.
      (this.revocationWriter.node.defaultChild as iam.CfnRole).assumeRolePolicyDocument =
        new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'Operators',
              principals: writers.map((arn) => new iam.ArnPrincipal(arn)),
              actions: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
            }),
          ],
        });
    } else {
      Annotations.of(this).addWarningV2(
        'fedgate:revocationWritersMissing',
        "No fedgate-revocation-writer role: name the operators in the stage's revocationWriters to revoke live sessions (README).",
      );
    }
  }

  /** The `<host/path>` prefix IAM uses for this provider's condition keys (`<host>:aud`). */
  get issuerConditionPrefix(): string {
    return this.props.issuerUrl.replace(/^https:\/\//, '');
  }
}

/** A role as IAM names it: its path (`/` or `/a/b/`) and name. */
export interface FedgateRoleName {
  roleName: string;
  /** IAM path (default `/`). */
  path?: string;
}

/** fedgate's subject reference (shared/log.ts `hashSubject`): 16 hex characters. */
const PERSON_REF_LENGTH = 16;
/** The longest role ARN prefix: `arn:aws-us-gov:iam::<12 digits>:role`. */
const LONGEST_ROLE_ARN_PREFIX = 'arn:aws-us-gov:iam::123456789012:role'.length;

/**
 * Why fedgate cannot bind web identity tokens to this role, or `undefined`: its name must be an
 * IAM role name without `,` (the SAML Role attribute is `<role>,<provider>`), its path must hold
 * none of `#` (the `sub` separator), `*` / `?` (StringLike wildcards: the pattern would match
 * other roles' tokens) or `$` (policy variables), and `<role ARN>#<person>` must fit STS's
 * 255-character subject (shared/issuer/README.md).
 */
export const checkFedgateRoleName = ({ roleName, path = '/' }: FedgateRoleName) => {
  if (!/^[\w+=.@-]{1,64}$/.test(roleName)) {
    return `role name ${roleName}: 1-64 of [A-Za-z0-9_+=.@-] (no ",": the SAML Role attribute)`;
  }
  if (!/^\/(?:[\x21-\x7e]{1,510}\/)?$/.test(path) || path.includes('//')) {
    return `role path ${path}: "/" or "/a/b/" of visible ASCII`;
  }
  if (/[#*?$]/.test(path)) {
    return `role path ${path}: "#", "*", "?" and "$" cannot be bound into a web identity token's sub`;
  }
  const sub = LONGEST_ROLE_ARN_PREFIX + path.length + roleName.length + 1 + PERSON_REF_LENGTH;
  if (sub > MAX_SUBJECT_LENGTH) {
    return `role ${path}${roleName}: "<role ARN>#<person>" would exceed ${MAX_SUBJECT_LENGTH} characters`;
  }
  return undefined;
};

/**
 * The trust statements of a role fedgate may hand out: `sts:AssumeRoleWithSAML` (and/or
 * `sts:AssumeRoleWithWebIdentity`) with the audience condition, plus `sts:TagSession` and
 * `sts:SetSourceIdentity` (STS refuses session tags / source identity without them). Web identity
 * is bound to this role: `<provider>:sub` must be `<this role's ARN>#*`, the shape fedgate mints
 * (shared/issuer/README.md), so a token minted for another role is refused here. SAML needs no
 * such condition: the assertion names exactly one role, and STS takes only a role it names.
 * @throws Error when the role's name or path cannot be bound ({@link checkFedgateRoleName}).
 */
export const fedgateTrustStatements = (
  trust: FedgateTrust,
  role: FedgateRoleName,
): iam.PolicyStatement[] => {
  const problem = checkFedgateRoleName(role);
  if (problem) throw new Error(`fedgate role: ${problem}`);
  const stack = Stack.of(trust);
  // Built from parts: the role's own ARN attribute here would make the role depend on itself.
  const roleArn = `arn:${stack.partition}:iam::${stack.account}:role${role.path ?? '/'}${role.roleName}`;
  const statements: iam.PolicyStatement[] = [];
  if (trust.samlProvider) {
    const audience = trust.props.signinRegion
      ? `https://${trust.props.signinRegion}.signin.aws.amazon.com/saml`
      : AWS_SAML_AUDIENCE;
    statements.push(
      new iam.PolicyStatement({
        sid: 'FedgateSaml',
        principals: [new iam.FederatedPrincipal(trust.samlProvider.samlProviderArn)],
        actions: ['sts:AssumeRoleWithSAML', 'sts:TagSession', 'sts:SetSourceIdentity'],
        conditions: { StringEquals: { 'SAML:aud': audience } },
      }),
    );
  }
  statements.push(
    new iam.PolicyStatement({
      sid: 'FedgateWebIdentity',
      principals: [new iam.FederatedPrincipal(trust.oidcProvider.oidcProviderArn)],
      actions: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
      conditions: {
        StringEquals: { [`${trust.issuerConditionPrefix}:aud`]: trust.props.webIdentityAudience },
        // The token was minted for this role (any person): `<role ARN>#<person ref>`.
        StringLike: { [`${trust.issuerConditionPrefix}:sub`]: roleBoundSubjectPattern(roleArn) },
      },
    }),
  );
  return statements;
};

export interface FedgateRoleProps {
  trust: FedgateTrust;
  roleName: string;
  /** IAM path (default `/`). */
  path?: string;
  description: string;
  /** Up to 12 h: fedgate clamps grants to what the role allows. */
  maxSessionDuration?: Duration;
}

/**
 * A role fedgate can hand out: its trust policy is exactly {@link fedgateTrustStatements}
 * (SAML and web identity, audience-pinned, web identity bound to this role, session tags and
 * source identity allowed), and its permissions boundary is the trust's revocation policy (the
 * kill switch).
 */
export class FedgateRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: FedgateRoleProps) {
    super(scope, id);
    const problem = checkFedgateRoleName({ roleName: props.roleName, path: props.path ?? '/' });
    if (problem) throw new Error(`fedgate role: ${problem}`);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      path: props.path ?? '/',
      description: props.description,
      // Only a placeholder: the trust policy is replaced below by fedgate's exact statements.
      assumedBy: new iam.AccountRootPrincipal(),
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(8),
      // The kill switch: Deny statements here refuse revoked sessions; a boundary cannot grant.
      permissionsBoundary: props.trust.revocationPolicy,
    });
    // The L2 principals cannot say sts:SetSourceIdentity, so the document is set whole.
    (this.role.node.defaultChild as iam.CfnRole).assumeRolePolicyDocument = new iam.PolicyDocument({
      statements: fedgateTrustStatements(props.trust, {
        roleName: props.roleName,
        path: props.path ?? '/',
      }),
    });
  }
}

export interface TargetAccountStackProps
  extends StackProps,
    Omit<FedgateTrustProps, 'samlMetadataXml'> {
  /** Path of fedgate's saved IdP metadata (see {@link FedgateTrustProps.samlMetadataXml}). */
  samlMetadataFile?: string;
  /** Create the example ABAC role `fedgate-department-data`. */
  exampleRoles: boolean;
  /**
   * Roles the gateway config grants in this account ({@link rolesFromConfig}): each gets fedgate's
   * trust policy and a MaxSessionDuration covering its grants, and no permissions (attach them
   * where the workload is defined). The example role, when granted, takes its duration from here.
   */
  configRoles?: readonly ConfigRole[];
}

/** Name of the example ABAC role. */
export const EXAMPLE_ROLE_NAME = 'fedgate-department-data';

/**
 * Registers fedgate in one account (deploy it into every account whose roles fedgate hands out,
 * the gateway's own included): both IAM providers and, optionally, an example ABAC role whose
 * permissions follow the session tag `department` (S3 prefix per department).
 */
export class TargetAccountStack extends Stack {
  readonly trust: FedgateTrust;
  readonly exampleRole: FedgateRole | undefined;

  constructor(scope: Construct, id: string, props: TargetAccountStackProps) {
    super(scope, id, props);
    const { samlMetadataFile, exampleRoles, configRoles = [], ...trustProps } = props;
    this.trust = new FedgateTrust(this, 'Fedgate', {
      ...trustProps,
      ...(samlMetadataFile ? { samlMetadataXml: readFileSync(samlMetadataFile, 'utf8') } : {}),
    });
    const isExample = (r: ConfigRole) =>
      exampleRoles && r.path === '/' && r.name === EXAMPLE_ROLE_NAME;
    for (const role of configRoles) {
      if (isExample(role)) continue;
      new FedgateRole(this, `ConfigRole-${role.path}${role.name}`, {
        trust: this.trust,
        roleName: role.name,
        path: role.path,
        maxSessionDuration: Duration.seconds(role.maxSessionSeconds),
        description: `fedgate: granted by ${role.grantedBy.join(', ')}`.slice(0, 1000),
      });
    }
    if (exampleRoles) {
      const fromConfig = configRoles.find(isExample);
      this.exampleRole = new FedgateRole(this, 'DepartmentData', {
        trust: this.trust,
        roleName: EXAMPLE_ROLE_NAME,
        description: 'fedgate example ABAC role: S3 objects under the session tag department',
        ...(fromConfig
          ? { maxSessionDuration: Duration.seconds(fromConfig.maxSessionSeconds) }
          : {}),
      });
      // ABAC: one role for every department; the session tag decides the prefix.
      const bucketArn = `arn:${this.partition}:s3:::fedgate-example-data-${this.account}`;
      this.exampleRole.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ListOwnDepartmentPrefix',
          actions: ['s3:ListBucket'],
          resources: [bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${DEPARTMENT_TAG_VARIABLE}/*`] } },
        }),
      );
      this.exampleRole.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadWriteOwnDepartmentPrefix',
          actions: ['s3:GetObject', 's3:PutObject'],
          resources: [`${bucketArn}/${DEPARTMENT_TAG_VARIABLE}/*`],
        }),
      );
      Validations.of(this.exampleRole.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::fedgate-example-data-${this.account}/<aws:PrincipalTag/department>/*]`,
        reason:
          "ABAC: the wildcard is the objects under the caller's own department prefix, chosen by " +
          'the session tag fedgate signs; no other prefix matches.',
      });
    }
  }
}
