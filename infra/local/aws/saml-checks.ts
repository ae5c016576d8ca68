import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { SAML } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import type { RoleDirectory } from './local-roles.js';
import type { SamlProviderMetadata } from './saml-provider.js';
import {
  faults,
  ROLE_ARN,
  SESSION_NAME,
  type StsFault,
  TAG_CHARS,
  validationError,
} from './sts-wire.js';
import { authorizeByTrustPolicy } from './trust-policy.js';

/**
 * What STS checks in AssumeRoleWithSAML, re-implemented for the local stand-in **independently of
 * fedgate's own code**: the signature and the time/audience conditions go through
 * @node-saml/node-saml (configured from the provider metadata), everything AWS-specific is
 * checked below on the XML node-saml verified. Failures carry STS's own error codes, as listed in
 * the IAM troubleshooting guide where AWS documents them (see ./README.md for the table).
 */

const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const ATTR = 'https://aws.amazon.com/SAML/Attributes/';
const TAG_ATTR = `${ATTR}PrincipalTag:`;

/** Audiences AWS accepts; node-saml is configured with the first and retried with the others. */
const AWS_AUDIENCES = [
  'https://signin.aws.amazon.com/saml',
  'urn:amazon:webservices',
  'https://signin.amazonaws-us-gov.com/saml',
  'https://signin.amazonaws.cn/saml',
];
/** AWS sign-in SAML endpoints (global or regional, per partition) a Recipient may name. */
const SIGNIN_SAML_ENDPOINT =
  /^https:\/\/(?:[a-z]{2}(?:-gov)?-[a-z]+-\d+\.)?signin\.(aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)\/saml$/;
const PARTITION_OF_SIGNIN_HOST: Record<string, string> = {
  'aws.amazon.com': 'aws',
  'amazonaws-us-gov.com': 'aws-us-gov',
  'amazonaws.cn': 'aws-cn',
};

// IAM's SAML provider ARN pattern (the shared ones are in sts-wire.ts).
const SAML_PROVIDER_ARN =
  /^arn:(aws|aws-us-gov|aws-cn):iam::(\d{12}):saml-provider\/([\w.-]{1,128})$/;
const MAX_TAGS = 50;
/** AWS does not publish the packed limit; this approximation (deflated bytes) is the stand-in's. */
export const PACKED_TAGS_LIMIT_BYTES = 4096;
/** "Token must be redeemed within 5 minutes of issuance." */
const MAX_ASSERTION_AGE_MS = 5 * 60_000;

export interface SamlCheckOptions {
  /** The IAM SAML provider's name in every account (default `fedgate`). */
  providerName: string;
  /** The pretend IAM's roles (./local-roles.ts): MaxSessionDuration and trust policy. */
  roleFor: RoleDirectory;
  clockSkewMs: number;
}

export interface AssumeRoleWithSamlParams {
  roleArn: string;
  principalArn: string;
  samlAssertion: string;
  durationSeconds: number;
}

/** Everything STS puts into the session (and the response) after a successful check. */
export interface VerifiedSamlSession {
  partition: string;
  accountId: string;
  roleArn: string;
  roleName: string;
  sessionName: string;
  tags: { key: string; value: string }[];
  transitiveTagKeys: string[];
  sourceIdentity?: string;
  issuer: string;
  subject: string;
  subjectType: string;
  /** The Recipient (what STS returns as `Audience` and trust policies see as `SAML:aud`). */
  audience: string;
  nameQualifier: string;
  durationSeconds: number;
  /** AuthnStatement SessionNotOnOrAfter: credentials never outlive it. */
  sessionNotOnOrAfter?: Date;
  /** The `SessionDuration` attribute (console session length), if sent. */
  sessionDurationAttribute?: number;
  packedPolicySize?: number;
}

/** Checks the request parameters the way STS's input validation does (before any SAML work). */
export const parseAssumeRoleWithSamlParams = (
  params: URLSearchParams,
): AssumeRoleWithSamlParams | StsFault => {
  const roleArn = params.get('RoleArn');
  const principalArn = params.get('PrincipalArn');
  const samlAssertion = params.get('SAMLAssertion');
  const duration = params.get('DurationSeconds');
  if (!roleArn) return validationError('roleArn', 'Member must not be null');
  if (!principalArn) return validationError('principalArn', 'Member must not be null');
  if (!samlAssertion) return validationError('SAMLAssertion', 'Member must not be null');
  if (roleArn.length < 20 || roleArn.length > 2048 || !ROLE_ARN.test(roleArn)) {
    return validationError('roleArn', 'Member must be an IAM role ARN');
  }
  if (!SAML_PROVIDER_ARN.test(principalArn)) {
    return validationError('principalArn', 'Member must be an IAM SAML provider ARN');
  }
  if (samlAssertion.length < 4 || samlAssertion.length > 100_000) {
    return validationError(
      'SAMLAssertion',
      'Member must have length between 4 and 100000 characters',
    );
  }
  let durationSeconds = 3600;
  if (duration !== null) {
    durationSeconds = Number(duration);
    if (!/^\d+$/.test(duration) || durationSeconds < 900 || durationSeconds > 43_200) {
      return validationError(
        'durationSeconds',
        'Member must have value greater than or equal to 900 and less than or equal to 43200',
      );
    }
  }
  return { roleArn, principalArn, samlAssertion, durationSeconds };
};

const textOf = (el: Element | undefined): string => (el?.textContent ?? '').trim();
const children = (parent: Element, localName: string, ns = SAML_NS): Element[] =>
  Array.from(parent.childNodes).filter(
    (n): n is Element =>
      n.nodeType === 1 &&
      (n as Element).localName === localName &&
      (n as Element).namespaceURI === ns,
  );
const parseXml = (xml: string): Document | undefined => {
  let failed = false;
  const doc = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: () => {
        failed = true;
      },
      fatalError: () => {
        failed = true;
      },
    },
  }).parseFromString(xml, 'text/xml');
  return failed || !doc?.documentElement ? undefined : doc;
};
const parseInstant = (value: string | null): number | undefined => {
  if (!value || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
};

/** node-saml's error → STS's error code (signature, time and audience failures). */
const mapNodeSamlError = (err: Error): StsFault => {
  const m = err.message;
  if (/expired|too old/i.test(m)) return faults.expiredToken('Response has expired');
  if (/not yet valid/i.test(m)) return faults.invalidIdentityToken('Response is not yet valid');
  if (/audience/i.test(m)) {
    return faults.invalidIdentityToken('Response does not contain the required audience.');
  }
  if (/signature/i.test(m)) return faults.invalidIdentityToken('Response signature invalid');
  return faults.invalidIdentityToken(`Invalid SAML response: ${m}`);
};

/** Verifies the signature, time conditions and audience with node-saml; returns the verified assertion XML. */
const verifyWithNodeSaml = async (
  samlResponseB64: string,
  metadata: SamlProviderMetadata,
  clockSkewMs: number,
): Promise<string> => {
  let lastError: Error | undefined;
  for (const audience of AWS_AUDIENCES) {
    const saml = new SAML({
      // node-saml is the service provider here: AWS sign-in, trusting the provider's certificates.
      issuer: 'urn:amazon:webservices',
      callbackUrl: 'https://signin.aws.amazon.com/saml',
      idpCert: metadata.signingCertificates,
      audience,
      wantAssertionsSigned: true,
      // AWS accepts a signed assertion inside an unsigned Response (what fedgate mints).
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: clockSkewMs,
    });
    try {
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponseB64 });
      const xml = profile?.getAssertionXml?.();
      if (!xml) throw new Error('Missing SAML assertion');
      return xml;
    } catch (err) {
      lastError = err as Error;
      // Only an audience mismatch is worth another try with the next accepted audience.
      if (!/audience mismatch/i.test(lastError.message)) break;
    }
  }
  throw mapNodeSamlError(lastError ?? new Error('Invalid SAML response'));
};

const subjectTypeOf = (format: string | null): string => {
  if (format === 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient') return 'transient';
  if (format === 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent') return 'persistent';
  return format ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
};

/**
 * The whole AssumeRoleWithSAML check, in STS's order: provider, signature/conditions/audience
 * (node-saml), issuer, subject confirmation, the Role pair, session name, source identity,
 * session duration, tags, the role's MaxSessionDuration.
 * @throws StsFault with STS's code, message and status.
 */
export const checkSamlForAssumeRole = async (
  params: AssumeRoleWithSamlParams,
  metadataFor: () => Promise<SamlProviderMetadata>,
  options: SamlCheckOptions,
): Promise<VerifiedSamlSession> => {
  const now = Date.now();
  const skew = options.clockSkewMs;
  const role = ROLE_ARN.exec(params.roleArn) as RegExpExecArray;
  const [, partition, accountId, roleName] = role as unknown as [string, string, string, string];
  const provider = SAML_PROVIDER_ARN.exec(params.principalArn) as RegExpExecArray;
  const [, providerPartition, providerAccount, providerName] = provider as unknown as [
    string,
    string,
    string,
    string,
  ];

  // The provider must exist: IAM providers are per account, and this pretend IAM has exactly one.
  if (
    providerPartition !== partition ||
    providerAccount !== accountId ||
    providerName !== options.providerName
  ) {
    throw faults.invalidIdentityToken("Specified provider doesn't exist");
  }
  let metadata: SamlProviderMetadata;
  try {
    metadata = await metadataFor();
  } catch (err) {
    throw faults.invalidIdentityToken(
      `Specified provider has no usable metadata (local stand-in: ${(err as Error).message})`,
    );
  }

  const b64 = params.samlAssertion.replace(/[\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw faults.invalidIdentityToken('Invalid SAML response: not base64');
  }
  const responseXml = Buffer.from(b64, 'base64').toString('utf8');
  const responseDoc = parseXml(responseXml);
  const response = responseDoc?.documentElement;
  if (response?.localName !== 'Response' || response.namespaceURI !== SAMLP_NS) {
    throw faults.invalidIdentityToken('Invalid SAML response: not a samlp:Response');
  }
  const status = children(response, 'Status', SAMLP_NS)[0];
  const statusCode = status && children(status, 'StatusCode', SAMLP_NS)[0];
  if (statusCode?.getAttribute('Value') !== 'urn:oasis:names:tc:SAML:2.0:status:Success') {
    throw faults.invalidIdentityToken('Invalid SAML response: status is not Success');
  }
  const destination = response.getAttribute('Destination');
  if (destination && !SIGNIN_SAML_ENDPOINT.test(destination)) {
    throw faults.invalidIdentityToken('Invalid SAML response: Destination is not AWS sign-in');
  }

  // From here on, only what node-saml verified is read.
  const assertionXml = await verifyWithNodeSaml(b64, metadata, skew);
  const assertion = parseXml(assertionXml)?.documentElement;
  if (assertion?.localName !== 'Assertion' || assertion.namespaceURI !== SAML_NS) {
    throw faults.invalidIdentityToken('Invalid SAML response: no assertion');
  }

  const issuer = textOf(children(assertion, 'Issuer')[0]);
  if (issuer !== metadata.entityId) {
    throw faults.invalidIdentityToken('Issuer not present in specified provider');
  }
  const issueInstant = parseInstant(assertion.getAttribute('IssueInstant'));
  if (issueInstant === undefined) {
    throw faults.invalidIdentityToken('Invalid SAML response: bad IssueInstant');
  }
  if (issueInstant > now + skew) {
    throw faults.invalidIdentityToken('Response is not yet valid');
  }
  if (now - skew - issueInstant > MAX_ASSERTION_AGE_MS) {
    throw faults.expiredToken('Token must be redeemed within 5 minutes of issuance');
  }

  const subjectEl = children(assertion, 'Subject')[0];
  const nameId = subjectEl && children(subjectEl, 'NameID')[0];
  const subject = textOf(nameId);
  if (!subjectEl || !subject) {
    throw faults.invalidIdentityToken('Invalid SAML response: no Subject NameID');
  }
  // Exactly one bearer confirmation: AWS reads its Recipient as SAML:aud.
  const bearers = children(subjectEl, 'SubjectConfirmation').filter(
    (c) => c.getAttribute('Method') === BEARER,
  );
  if (bearers.length !== 1) {
    throw faults.invalidIdentityToken(
      'Invalid SAML response: expected exactly one bearer SubjectConfirmation',
    );
  }
  const confirmation = children(bearers[0] as Element, 'SubjectConfirmationData')[0];
  const recipient = confirmation?.getAttribute('Recipient') ?? '';
  const recipientMatch = SIGNIN_SAML_ENDPOINT.exec(recipient);
  if (!confirmation || !recipientMatch) {
    throw faults.invalidIdentityToken(
      'Invalid SAML response: Recipient must be an AWS sign-in SAML endpoint',
    );
  }
  if (PARTITION_OF_SIGNIN_HOST[recipientMatch[1] as string] !== partition) {
    throw faults.invalidIdentityToken(
      "Invalid SAML response: Recipient is not in the role's partition",
    );
  }
  const notOnOrAfter = parseInstant(confirmation.getAttribute('NotOnOrAfter'));
  if (notOnOrAfter === undefined) {
    throw faults.invalidIdentityToken(
      'Invalid SAML response: SubjectConfirmationData has no NotOnOrAfter',
    );
  }
  // SAML Core 2.0 §2.4.1.2: the confirmation is invalid at or after NotOnOrAfter.
  if (now - skew >= notOnOrAfter) throw faults.expiredToken('Response has expired');
  const notBefore = parseInstant(confirmation.getAttribute('NotBefore'));
  if (notBefore !== undefined && notBefore > now + skew) {
    throw faults.invalidIdentityToken('Response is not yet valid');
  }
  const authn = children(assertion, 'AuthnStatement')[0];
  const sessionNotOnOrAfterMs = parseInstant(authn?.getAttribute('SessionNotOnOrAfter') ?? null);

  const attributes = new Map<string, string[]>();
  for (const statement of children(assertion, 'AttributeStatement')) {
    for (const attr of children(statement, 'Attribute')) {
      const name = attr.getAttribute('Name') ?? '';
      const values = children(attr, 'AttributeValue').map((v) => v.textContent ?? '');
      attributes.set(name, [...(attributes.get(name) ?? []), ...values]);
    }
  }

  // The Role attribute must pair the requested role with the requested provider (either order).
  const pairs = (attributes.get(`${ATTR}Role`) ?? []).map((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .sort(),
  );
  const wanted = [params.roleArn, params.principalArn].sort();
  if (!pairs.some((p) => p.length === 2 && p[0] === wanted[0] && p[1] === wanted[1])) {
    throw faults.accessDenied();
  }
  const known = options.roleFor(params.roleArn);
  if (known === undefined || roleName.startsWith('AWSReservedSSO_')) throw faults.accessDenied();
  // The role's trust policy, evaluated as IAM does, with the keys STS gives SAML callers.
  const trustContext: Record<string, string | string[]> = {
    'SAML:aud': recipient,
    'SAML:iss': issuer,
    'SAML:sub': subject,
    'SAML:sub_type': subjectTypeOf(nameId?.getAttribute('Format') ?? null),
  };
  const authorize = (action: string, extra: Record<string, string | string[]> = {}) =>
    authorizeByTrustPolicy(known.trust, {
      action,
      federatedPrincipal: params.principalArn,
      context: { ...trustContext, ...extra },
    });
  authorize('sts:AssumeRoleWithSAML');

  const sessionNames = attributes.get(`${ATTR}RoleSessionName`) ?? [];
  if (sessionNames.length === 0) {
    throw faults.invalidIdentityToken('RoleSessionName is required in AuthnResponse');
  }
  const sessionName = sessionNames[0] as string;
  if (sessionNames.length > 1 || !SESSION_NAME.test(sessionName)) {
    throw faults.invalidIdentityToken(
      'RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}',
    );
  }

  const sourceIdentities = attributes.get(`${ATTR}SourceIdentity`) ?? [];
  const sourceIdentity = sourceIdentities[0];
  if (
    sourceIdentities.length > 1 ||
    (sourceIdentity !== undefined &&
      (!SESSION_NAME.test(sourceIdentity) || sourceIdentity.toLowerCase().startsWith('aws:')))
  ) {
    throw faults.invalidIdentityToken(
      'Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"',
    );
  }
  if (sourceIdentity !== undefined) {
    authorize('sts:SetSourceIdentity', { 'sts:SourceIdentity': sourceIdentity });
  }

  const sessionDurations = attributes.get(`${ATTR}SessionDuration`) ?? [];
  let sessionDurationAttribute: number | undefined;
  if (sessionDurations.length > 0) {
    const raw = sessionDurations[0] as string;
    sessionDurationAttribute = Number(raw);
    if (
      sessionDurations.length > 1 ||
      !/^\d+$/.test(raw) ||
      sessionDurationAttribute < 900 ||
      sessionDurationAttribute > 43_200
    ) {
      throw faults.invalidIdentityToken('SessionDuration in AuthnResponse must be 900-43200');
    }
  }

  const tags: { key: string; value: string }[] = [];
  const seen = new Set<string>();
  for (const [name, values] of attributes) {
    if (!name.startsWith(TAG_ATTR)) continue;
    const key = name.slice(TAG_ATTR.length);
    const value = values[0] ?? '';
    if (values.length !== 1) {
      throw faults.validation(`Unable to validate tags: tag ${key} must have exactly one value`);
    }
    if (key.length < 1 || key.length > 128 || !TAG_CHARS.test(key)) {
      throw faults.validation(
        'Unable to validate tags: a tag key is empty, too long or has invalid characters',
      );
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw faults.validation('Unable to validate tags: tag keys must not begin with "aws:"');
    }
    if (value.length > 256 || !TAG_CHARS.test(value)) {
      throw faults.validation(
        `Unable to validate tags: the value of tag ${key} is too long or has invalid characters`,
      );
    }
    if (seen.has(key.toLowerCase())) {
      throw faults.validation(
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
      );
    }
    seen.add(key.toLowerCase());
    tags.push({ key, value });
  }
  if (tags.length > MAX_TAGS) {
    throw validationError('tags', `Member must have length less than or equal to ${MAX_TAGS}`);
  }
  const transitiveTagKeys = attributes.get(`${ATTR}TransitiveTagKeys`) ?? [];
  for (const key of transitiveTagKeys) {
    if (!seen.has(key.toLowerCase())) {
      throw faults.validation(
        `Unable to validate tags: transitive tag key ${key} is not a session tag`,
      );
    }
  }
  let packedPolicySize: number | undefined;
  if (tags.length > 0) {
    authorize('sts:TagSession', {
      ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.key}`, t.value])),
      'aws:TagKeys': tags.map((t) => t.key),
      ...(transitiveTagKeys.length > 0 ? { 'sts:TransitiveTagKeys': transitiveTagKeys } : {}),
    });
    const packed = deflateRawSync(
      Buffer.from(JSON.stringify([tags.map((t) => [t.key, t.value]), transitiveTagKeys])),
    ).length;
    packedPolicySize = Math.ceil((packed * 100) / PACKED_TAGS_LIMIT_BYTES);
    if (packedPolicySize > 100) {
      throw faults.packedPolicyTooLarge(
        `Packed size of session tags consumes ${packedPolicySize}% of allotted space.`,
      );
    }
  }

  if (params.durationSeconds > known.maxSessionDurationSeconds) {
    throw faults.validation(
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }

  // AWS documents NameQualifier as BASE64(SHA1(Issuer + AccountId + "/" + provider name)).
  const nameQualifier = createHash('sha1')
    .update(`${issuer}${accountId}/${providerName}`)
    .digest('base64');
  return {
    partition,
    accountId,
    roleArn: params.roleArn,
    roleName,
    sessionName,
    tags,
    transitiveTagKeys,
    ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
    issuer,
    subject,
    subjectType: subjectTypeOf(nameId?.getAttribute('Format') ?? null),
    audience: recipient,
    nameQualifier,
    durationSeconds: params.durationSeconds,
    ...(sessionNotOnOrAfterMs !== undefined
      ? { sessionNotOnOrAfter: new Date(sessionNotOnOrAfterMs) }
      : {}),
    ...(sessionDurationAttribute !== undefined ? { sessionDurationAttribute } : {}),
    ...(packedPolicySize !== undefined ? { packedPolicySize } : {}),
  };
};
