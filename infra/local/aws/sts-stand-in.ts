import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AwsStandInFaults, holdBack, resetConnection } from './faults.js';
import type { Ledger } from './ledger.js';
import type { RoleDirectory } from './local-roles.js';
import { checkSamlForAssumeRole, parseAssumeRoleWithSamlParams } from './saml-checks.js';
import type { SamlProviderMetadata } from './saml-provider.js';
import { parseSigV4, verifySigV4 } from './sigv4.js';
import {
  faults,
  readStsParams,
  STS_API_VERSION,
  StsFault,
  sendStsError,
  sendStsResult,
  stsTimestamp,
  type XmlNode,
} from './sts-wire.js';
import {
  checkWebIdentityForAssumeRole,
  parseAssumeRoleWithWebIdentityParams,
  type WebIdentityProvider,
} from './web-identity-checks.js';

export interface StsStandInDeps {
  ledger: Ledger;
  /** The metadata the pretend IAM SAML provider holds (fetched from the runner). */
  metadata: () => Promise<SamlProviderMetadata>;
  providerName: string;
  /** The pretend IAM's roles (./local-roles.ts): MaxSessionDuration and trust policy. */
  roleFor: RoleDirectory;
  clockSkewMs: number;
  faults: () => AwsStandInFaults;
  /**
   * The pretend IAM OIDC provider for AssumeRoleWithWebIdentity (fedgate's issuer URL and the
   * client ids registered for it) and the fetch its discovery document and JWKS are read with.
   * Absent: AssumeRoleWithWebIdentity answers InvalidAction.
   */
  webIdentity?: { provider: () => WebIdentityProvider; fetch: typeof fetch };
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const base32 = (bytes: Buffer, length: number): string =>
  Array.from(bytes, (b) => BASE32[b & 31])
    .join('')
    .slice(0, length);

/** Visibly local credentials: `ASIALOCAL…` key ids (20 characters, like AWS's) and a marked token. */
const mintCredentials = () => ({
  accessKeyId: `ASIALOCAL${base32(randomBytes(16), 11)}`,
  secretAccessKey: randomBytes(30).toString('base64'),
  sessionToken: `fedgate-local/${randomBytes(96).toString('base64')}`,
});

/** `AROA` + 17 characters, stable per role, like IAM's role ids. */
const roleIdOf = (roleArn: string): string =>
  `AROA${base32(createHash('sha256').update(roleArn).digest(), 17)}`;

/** The AssumedRoleUser and Credentials elements both AssumeRoleWith* answers carry. */
const sessionResult = (
  checked: { roleArn: string; sessionName: string },
  assumedRoleArn: string,
  credentials: ReturnType<typeof mintCredentials>,
  expiration: Date,
): [string, XmlNode][] => [
  [
    'AssumedRoleUser',
    [
      ['AssumedRoleId', `${roleIdOf(checked.roleArn)}:${checked.sessionName}`],
      ['Arn', assumedRoleArn],
    ],
  ],
  [
    'Credentials',
    [
      ['AccessKeyId', credentials.accessKeyId],
      ['SecretAccessKey', credentials.secretAccessKey],
      ['SessionToken', credentials.sessionToken],
      ['Expiration', stsTimestamp(expiration)],
    ],
  ],
];

/**
 * The STS stand-in's request handler: AssumeRoleWithSAML (./saml-checks.ts) and
 * AssumeRoleWithWebIdentity (./web-identity-checks.ts) as STS does them, and GetCallerIdentity
 * for the sessions it issued (SigV4-signed, ./sigv4.ts),
 * answering in STS's awsQuery/XML wire format so the real `STSClient` works against it unchanged.
 */
export const createStsStandIn = (deps: StsStandInDeps) => {
  const assumeRoleWithSaml = async (params: URLSearchParams, res: ServerResponse) => {
    const parsed = parseAssumeRoleWithSamlParams(params);
    if (parsed instanceof StsFault) return sendStsError(res, parsed);
    const checked = await checkSamlForAssumeRole(parsed, deps.metadata, {
      providerName: deps.providerName,
      roleFor: deps.roleFor,
      clockSkewMs: deps.clockSkewMs,
    });
    const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    let expiresMs = issuedAt.getTime() + checked.durationSeconds * 1000;
    // "Your role session lasts for the duration that you specify, or until the time specified in
    // the SAML authentication response's SessionNotOnOrAfter value, whichever is shorter."
    if (checked.sessionNotOnOrAfter) {
      expiresMs = Math.min(expiresMs, checked.sessionNotOnOrAfter.getTime());
    }
    // STS's Expiration has whole seconds.
    const expiration = new Date(Math.floor(expiresMs / 1000) * 1000);
    const credentials = mintCredentials();
    const assumedRoleArn = `arn:${checked.partition}:sts::${checked.accountId}:assumed-role/${checked.roleName}/${checked.sessionName}`;
    deps.ledger.recordSession({
      ...credentials,
      action: 'AssumeRoleWithSAML',
      partition: checked.partition,
      accountId: checked.accountId,
      roleArn: checked.roleArn,
      roleName: checked.roleName,
      assumedRoleArn,
      sessionName: checked.sessionName,
      tags: checked.tags,
      transitiveTagKeys: checked.transitiveTagKeys,
      ...(checked.sourceIdentity !== undefined ? { sourceIdentity: checked.sourceIdentity } : {}),
      issuer: checked.issuer,
      subject: checked.subject,
      issuedAt,
      expiration,
      ...(checked.sessionDurationAttribute !== undefined
        ? { sessionDurationAttribute: checked.sessionDurationAttribute }
        : {}),
    });
    sendStsResult(res, 'AssumeRoleWithSAML', [
      ['Audience', checked.audience],
      ...sessionResult(checked, assumedRoleArn, credentials, expiration),
      ['Issuer', checked.issuer],
      ['NameQualifier', checked.nameQualifier],
      ['PackedPolicySize', checked.packedPolicySize],
      ['SourceIdentity', checked.sourceIdentity],
      ['Subject', checked.subject],
      ['SubjectType', checked.subjectType],
    ]);
  };

  const assumeRoleWithWebIdentity = async (params: URLSearchParams, res: ServerResponse) => {
    const webIdentity = deps.webIdentity;
    if (!webIdentity) {
      return sendStsError(
        res,
        faults.invalidAction('AssumeRoleWithWebIdentity has no OIDC provider in this stand-in'),
      );
    }
    const parsed = parseAssumeRoleWithWebIdentityParams(params);
    if (parsed instanceof StsFault) return sendStsError(res, parsed);
    const checked = await checkWebIdentityForAssumeRole(parsed, {
      provider: webIdentity.provider,
      roleFor: deps.roleFor,
      clockSkewMs: deps.clockSkewMs,
      fetch: webIdentity.fetch,
    });
    const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const expiration = new Date(issuedAt.getTime() + checked.durationSeconds * 1000);
    const credentials = mintCredentials();
    const assumedRoleArn = `arn:${checked.partition}:sts::${checked.accountId}:assumed-role/${checked.roleName}/${checked.sessionName}`;
    deps.ledger.recordSession({
      ...credentials,
      action: 'AssumeRoleWithWebIdentity',
      partition: checked.partition,
      accountId: checked.accountId,
      roleArn: checked.roleArn,
      roleName: checked.roleName,
      assumedRoleArn,
      sessionName: checked.sessionName,
      tags: checked.tags,
      transitiveTagKeys: checked.transitiveTagKeys,
      ...(checked.sourceIdentity !== undefined ? { sourceIdentity: checked.sourceIdentity } : {}),
      issuer: checked.issuer,
      subject: checked.subject,
      issuedAt,
      expiration,
    });
    sendStsResult(res, 'AssumeRoleWithWebIdentity', [
      ['SubjectFromWebIdentityToken', checked.subject],
      ['Audience', checked.audience],
      ...sessionResult(checked, assumedRoleArn, credentials, expiration),
      ['Provider', checked.provider],
      ['PackedPolicySize', checked.packedPolicySize],
      ['SourceIdentity', checked.sourceIdentity],
    ]);
  };

  /**
   * GetCallerIdentity, the one signed call: the SigV4 signature checked with the secret of a
   * session this stand-in issued (unexpired, its session token sent), then who that session is.
   * So a client that resolved credentials from anywhere — the fedgate CLI's credential_process —
   * proves here that they are live ones STS issued.
   */
  const getCallerIdentity = (req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse) => {
    const claim = parseSigV4(req);
    if ('code' in claim) return sendStsError(res, new StsFault(claim.code, claim.message, 403));
    const session = deps.ledger.sessions().find((s) => s.accessKeyId === claim.accessKeyId);
    // Unknown, or expired (the ledger lists only live sessions): STS says the token is invalid.
    if (!session || claim.sessionToken !== session.sessionToken) {
      return sendStsError(
        res,
        new StsFault(
          'InvalidClientTokenId',
          'The security token included in the request is invalid.',
          403,
        ),
      );
    }
    const refused = verifySigV4(req, url, body, claim, session.secretAccessKey, Date.now());
    if (refused) return sendStsError(res, new StsFault(refused.code, refused.message, 403));
    sendStsResult(res, 'GetCallerIdentity', [
      ['Arn', session.assumedRoleArn],
      ['UserId', `${roleIdOf(session.roleArn)}:${session.sessionName}`],
      ['Account', session.accountId],
    ]);
  };

  return async (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    url: URL,
  ): Promise<void> => {
    const fault = deps.faults();
    if (fault.sts === 'reset') return resetConnection(req, res);
    if (fault.sts === 'slow') await holdBack(res, fault.slowMs ?? 10_000);
    if (res.destroyed) return;
    if (fault.sts === 'throttle') return sendStsError(res, faults.throttling());
    if (fault.sts === 'down') return sendStsError(res, faults.unavailable());

    const params = readStsParams(req, body, url);
    if (params instanceof StsFault) return sendStsError(res, params);
    const action = params.get('Action');
    if (params.get('Version') !== STS_API_VERSION) {
      return sendStsError(
        res,
        new StsFault('InvalidParameterValue', `Version must be ${STS_API_VERSION}`),
      );
    }
    try {
      switch (action) {
        case 'AssumeRoleWithSAML':
          return await assumeRoleWithSaml(params, res);
        case 'AssumeRoleWithWebIdentity':
          return await assumeRoleWithWebIdentity(params, res);
        case 'GetCallerIdentity':
          return getCallerIdentity(req, url, body, res);
        default:
          return sendStsError(
            res,
            faults.invalidAction(
              `${action ?? 'An empty Action'} is not implemented by the local STS stand-in`,
            ),
          );
      }
    } catch (err) {
      if (err instanceof StsFault) return sendStsError(res, err);
      // A bug in the stand-in: answer like STS's InternalFailure, without detail.
      console.error('local STS stand-in failed:', err);
      return sendStsError(res, new StsFault('InternalFailure', 'Internal failure', 500));
    }
  };
};
