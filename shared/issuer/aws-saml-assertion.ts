import { type KeyObject, randomUUID, verify, X509Certificate } from 'node:crypto';
import { checkRoleArn, checkSessionValues, parseRoleArn } from '../aws-rules.js';
import type { Grant } from '../mapping/index.js';
import {
  AC_UNSPECIFIED,
  ATTRNAME_URI,
  buildSignatureElement,
  CM_BEARER,
  createXmlTreeBuilder,
  IllegalXmlCharacterError,
  isXmlSafe,
  NAMEID_PERSISTENT,
  NS,
  PREFIX,
  prepareEnvelopedSignature,
  STATUS_SUCCESS,
  serializeXml,
  type XmlChild,
  type XmlTreeBuilder,
} from '../xml/index.js';
import { IssuerMisconfiguredError, MintInvalidValueError, MintTooLargeError } from './errors.js';
import type { Signer, SigningKeys } from './signing-keys.js';

/**
 * What fedgate signs for AssumeRoleWithSAML: a SAML 2.0 Response holding one Assertion, signed
 * with fedgate's key through the async `Signer` port (KMS in AWS). The rules it holds to are
 * ARCHITECTURE.md §6 and SECURITY.md §5; the AWS page they come from is "Configure SAML assertions
 * for the authentication response" (IAM User Guide, id_roles_providers_create_saml_assertions).
 */

/** The NameID format fedgate mints: an opaque, stable, non-PII subject (SAML Core §8.3.7). */
export const NAMEID_FORMAT_PERSISTENT = NAMEID_PERSISTENT;

/** AWS's SAML attribute names all live under this prefix, case-sensitively. */
export const AWS_SAML_ATTRIBUTE_PREFIX = 'https://aws.amazon.com/SAML/Attributes/';

/** The global AWS sign-in SAML endpoint: the default Recipient and Audience. */
export const AWS_SIGNIN_SAML_URL = 'https://signin.aws.amazon.com/saml';

/** The other Audience value AWS accepts for the `aws` partition. */
export const AWS_SAML_AUDIENCE_URN = 'urn:amazon:webservices';

/** SECURITY.md §5: an assertion for AWS is valid for at most 5 minutes. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/**
 * Default lifetime: the response goes from fedgate straight to STS in the same request, so two
 * minutes covers clock skew while a leaked response is soon worthless.
 */
export const DEFAULT_ASSERTION_LIFETIME_SECONDS = 120;

/** AssumeRoleWithSAML's `SAMLAssertion`: base64 of the Response, at most 100,000 characters. */
export const MAX_SAML_RESPONSE_BASE64_LENGTH = 100_000;

/**
 * AWS sign-in SAML endpoints per partition, global or regional (`https://<region>.<host>/saml`):
 * IAM User Guide "Configure SAML assertions", Subject and NameID, for `aws`; the same page on
 * docs.amazonaws.cn for `aws-cn`; the GovCloud (US) console sign-in host for `aws-us-gov`. The
 * Recipient's partition must be the role's: a sign-in endpoint only federates into its own.
 */
const SIGNIN_HOST_PARTITION: Readonly<Record<string, string>> = {
  'signin.aws.amazon.com': 'aws',
  'signin.amazonaws.cn': 'aws-cn',
  'signin.amazonaws-us-gov.com': 'aws-us-gov',
};
const RECIPIENT =
  /^https:\/\/(?:[a-z]{2}(?:-[a-z]+)+-\d\.)?(signin\.aws\.amazon\.com|signin\.amazonaws\.cn|signin\.amazonaws-us-gov\.com)\/saml$/;

/** IAM `CreateSAMLProvider` Name: `[\w._-]+`, 1–128 characters (same rule as the env schema). */
const SAML_PROVIDER_NAME = /^[\w.-]{1,128}$/;

/** An absolute URI without whitespace (SAML Core §8.3.6: an entity id is a URI of ≤ 1024 chars). */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
const MAX_ENTITY_ID_LENGTH = 1024;

/**
 * An authentication context class: an absolute URI (a scheme, then only RFC 3986 URI characters:
 * no space, `<`, `>`, `"`, `{`, `}`, `|`, `\`, `^` or backquote), at most 1024 characters.
 */
const AUTHN_CONTEXT_CLASS = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/**
 * Whether a value can be minted as the AuthnContextClassRef (an absolute URI of at most 1024
 * characters): upstream SAML class refs are; OIDC `amr` lists and bare `acr` values like `1` are
 * not, and go out as `…:ac:classes:unspecified`.
 */
export const isAuthnContextClassRef = (value: string): boolean =>
  value.length <= MAX_ENTITY_ID_LENGTH && AUTHN_CONTEXT_CLASS.test(value);

/**
 * The NameID: visible ASCII, 1–256 characters (SAML Core §8.3.7 caps persistent identifiers at
 * 256). It should be opaque (a hashed subject): CloudTrail logs it as `saml:sub`.
 */
const NAME_ID = /^[\x21-\x7e]{1,256}$/;

/** The parts of a Grant that end up in the assertion. */
export type AwsSamlGrant = Pick<
  Grant,
  | 'roleArn'
  | 'accountId'
  | 'sessionName'
  | 'sourceIdentity'
  | 'tags'
  | 'transitiveTagKeys'
  | 'durationSeconds'
>;

export interface AwsSamlMinterOptions {
  signingKeys: SigningKeys;
  /**
   * fedgate's IdP entity id, the Issuer of Response and Assertion; it must equal the entityID of
   * the metadata registered as the IAM SAML provider (by default `<publicBaseUrl>/aws/saml-metadata.xml`).
   */
  issuerEntityId: string;
  /** Name of fedgate's IAM SAML provider in every target account (default `fedgate`). */
  samlProviderName?: string;
  /**
   * The Audience: {@link AWS_SIGNIN_SAML_URL} (default) or {@link AWS_SAML_AUDIENCE_URN} for the
   * `aws` partition; the sign-in URL of the partition in use elsewhere.
   */
  audience?: string;
}

export interface AwsSamlMintInput {
  /** A grant from the mapping engine; its values are checked again here all the same. */
  grant: AwsSamlGrant;
  /**
   * The AWS sign-in SAML endpoint in use: `https://signin.aws.amazon.com/saml` or
   * `https://<region>.signin.aws.amazon.com/saml` (its partition must be the role's). Trust
   * policies see it as `SAML:aud`.
   */
  recipient: string;
  /** Opaque, stable, not PII (e.g. a hash of IdP and subject): visible ASCII, 1–256 characters. */
  nameId: string;
  /** The current time, epoch **milliseconds** (`Date.now()`); timestamps are cut to whole seconds. */
  now: number;
  /** Validity from `now`, 1–300 seconds (default {@link DEFAULT_ASSERTION_LIFETIME_SECONDS}). */
  lifetimeSeconds?: number;
  /**
   * When the person authenticated upstream, epoch milliseconds, not after `now` (default `now`,
   * for a sign-in whose upstream time is unknown).
   */
  authnInstant?: number;
  /**
   * How the person authenticated upstream: an absolute URI of at most 1024 characters (SAML
   * Core §2.7.2.2: `AuthnContextClassRef` is `xs:anyURI`), e.g. the upstream
   * assertion's own class ref (default {@link AC_UNSPECIFIED}, `…:ac:classes:unspecified`).
   */
  authnContextClassRef?: string;
}

export interface MintedAwsSamlResponse {
  /** What AssumeRoleWithSAML takes as `SAMLAssertion`: base64 of the UTF-8 Response. */
  samlResponseB64: string;
  /** The signed Response, for tests and the local STS stand-in; never log it. */
  xml: string;
  /** Assertion ID (`_` + 128-bit random hex). */
  assertionId: string;
  /** `PrincipalArn` for AssumeRoleWithSAML: `arn:<partition>:iam::<account>:saml-provider/<name>`. */
  principalArn: string;
  /** Epoch milliseconds: the assertion's NotOnOrAfter. */
  notOnOrAfter: number;
}

export interface AwsSamlMinter {
  /**
   * Mints and signs one SAML Response for AssumeRoleWithSAML.
   * @throws mint_invalid_value when a value breaks AWS's or XML's rules (nothing is signed).
   * @throws mint_too_large when the base64 Response would exceed 100,000 characters.
   * @throws issuer_misconfigured when the active key's certificate is not for its key, or its
   *   signature does not verify with its published key.
   * @throws temporarily_unavailable (or whatever the Signer throws) when the key service fails.
   */
  mint(input: AwsSamlMintInput): Promise<MintedAwsSamlResponse>;
}

/** A 128-bit random XML ID; the `_` makes it an NCName (xs:ID) whatever the first hex digit. */
// 122 random bits as an NCName. randomUUID draws from node's cached entropy pool: three
// randomBytes(16) calls per mint cost ~45 µs, three UUIDs ~1 µs.
const newId = (): string => `_${randomUUID().replaceAll('-', '')}`;

/** xs:dateTime in UTC (SAML Core §1.3.3), whole seconds. */
const isoInstant = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Epoch milliseconds between 2001 and 5138: catches epoch seconds passed by mistake. */
const isEpochMillis = (n: number): boolean => Number.isFinite(n) && n >= 1e12 && n < 1e14;

/** Every value check, in one place, before anything is built. Problems name fields, not values. */
const checkMintInput = (
  input: AwsSamlMintInput,
): { problems: string[]; partition?: string; accountId?: string } => {
  const { grant } = input;
  const problems: string[] = [];
  const push = (field: string, problem: string | undefined) => {
    if (problem) problems.push(`${field}: ${problem}`);
  };

  push('roleArn', checkRoleArn(grant.roleArn));
  const role = parseRoleArn(grant.roleArn);
  if (role && role.accountId !== grant.accountId) {
    problems.push('accountId: does not match the role ARN account');
  }
  problems.push(...checkSessionValues(grant));

  if (!NAME_ID.test(input.nameId)) problems.push('nameId: must be 1-256 visible ASCII characters');
  const recipient = RECIPIENT.exec(input.recipient);
  const partition = recipient ? SIGNIN_HOST_PARTITION[recipient[1] as string] : undefined;
  if (!recipient) problems.push('recipient: not an AWS sign-in SAML endpoint');
  else if (role && partition !== role.partition) {
    problems.push(`recipient: a ${partition} sign-in endpoint cannot sign in to ${role.partition}`);
  }
  if (!isEpochMillis(input.now)) problems.push('now: must be epoch milliseconds');
  if (input.authnInstant !== undefined && !isEpochMillis(input.authnInstant)) {
    problems.push('authnInstant: must be epoch milliseconds');
  } else if (input.authnInstant !== undefined && input.authnInstant > input.now) {
    // The person cannot have authenticated after the assertion about it was issued.
    problems.push('authnInstant: must not be after now');
  }
  if (
    input.authnContextClassRef !== undefined &&
    !isAuthnContextClassRef(input.authnContextClassRef)
  ) {
    problems.push('authnContextClassRef: must be an absolute URI of at most 1024 characters');
  }
  const lifetime = input.lifetimeSeconds ?? DEFAULT_ASSERTION_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_ASSERTION_LIFETIME_SECONDS) {
    problems.push(
      `lifetimeSeconds: must be a whole number in 1..${MAX_ASSERTION_LIFETIME_SECONDS}`,
    );
  }
  return { problems, ...(role ? { partition: role.partition, accountId: role.accountId } : {}) };
};

/** The Response, its one Assertion and the Assertion's Issuer (where the Signature goes). */
interface UnsignedResponse {
  response: Element;
  assertion: Element;
  assertionIssuer: Element;
}

const buildUnsignedResponse = (
  b: XmlTreeBuilder,
  v: {
    grant: AwsSamlGrant;
    issuer: string;
    audience: string;
    recipient: string;
    nameId: string;
    principalArn: string;
    responseId: string;
    assertionId: string;
    sessionIndex: string;
    issueInstant: string;
    notOnOrAfter: string;
    authnInstant: string;
    authnContextClassRef: string;
  },
): UnsignedResponse => {
  const { grant } = v;
  const saml = (name: string, attributes?: Record<string, string>, children?: XmlChild[]) =>
    b.element(NS.assertion, `${PREFIX.assertion}:${name}`, attributes, children);
  /** `<saml:Attribute>` with one `<saml:AttributeValue>` per value. */
  const attribute = (name: string, values: readonly string[]): Element =>
    // No xsi:type on AttributeValue (as AD FS sends them to AWS): `xsi:type="xs:string"` would name
    // a namespace prefix inside attribute content, which exclusive c14n does not see as used
    // (Exc-C14N §3: visibly utilized) and would need an InclusiveNamespaces PrefixList.
    saml(
      'Attribute',
      { Name: AWS_SAML_ATTRIBUTE_PREFIX + name, NameFormat: ATTRNAME_URI },
      values.map((value) => saml('AttributeValue', undefined, [value])),
    );

  const assertionIssuer = saml('Issuer', undefined, [v.issuer]);
  const assertion = saml(
    'Assertion',
    { ID: v.assertionId, Version: '2.0', IssueInstant: v.issueInstant },
    [
      assertionIssuer,
      saml('Subject', undefined, [
        saml('NameID', { Format: NAMEID_FORMAT_PERSISTENT }, [v.nameId]),
        // SAML Profiles §4.1.4.2: a bearer confirmation carries Recipient and NotOnOrAfter, no
        // NotBefore; AWS requires exactly one. No InResponseTo: fedgate's response is unsolicited.
        saml('SubjectConfirmation', { Method: CM_BEARER }, [
          saml('SubjectConfirmationData', { NotOnOrAfter: v.notOnOrAfter, Recipient: v.recipient }),
        ]),
      ]),
      saml('Conditions', { NotBefore: v.issueInstant, NotOnOrAfter: v.notOnOrAfter }, [
        saml('AudienceRestriction', undefined, [saml('Audience', undefined, [v.audience])]),
      ]),
      // When and how the person authenticated at the upstream IdP (not when fedgate minted):
      // what fedgate was told, or the mint time and `unspecified` when it was told nothing.
      saml('AuthnStatement', { AuthnInstant: v.authnInstant, SessionIndex: v.sessionIndex }, [
        saml('AuthnContext', undefined, [
          saml('AuthnContextClassRef', undefined, [v.authnContextClassRef]),
        ]),
      ]),
      saml('AttributeStatement', undefined, [
        // "<role ARN>,<provider ARN>": checkRoleArn refused any ',' in the role ARN.
        attribute('Role', [`${grant.roleArn},${v.principalArn}`]),
        attribute('RoleSessionName', [grant.sessionName]),
        attribute('SessionDuration', [String(grant.durationSeconds)]),
        ...(grant.sourceIdentity !== undefined
          ? [attribute('SourceIdentity', [grant.sourceIdentity])]
          : []),
        ...grant.tags.map((t) => attribute(`PrincipalTag:${t.key}`, [t.value])),
        // Multi-valued: one AttributeValue per key (IAM User Guide, "Passing session tags using SAML").
        ...(grant.transitiveTagKeys.length > 0
          ? [attribute('TransitiveTagKeys', grant.transitiveTagKeys)]
          : []),
      ]),
    ],
  );
  // No whitespace between elements: the enveloped transform keeps text nodes, and none is needed.
  const samlp = (name: string, attributes?: Record<string, string>, children?: XmlChild[]) =>
    b.element(NS.protocol, `${PREFIX.protocol}:${name}`, attributes, children);
  const response = samlp(
    'Response',
    {
      [`xmlns:${PREFIX.protocol}`]: NS.protocol,
      [`xmlns:${PREFIX.assertion}`]: NS.assertion,
      ID: v.responseId,
      Version: '2.0',
      IssueInstant: v.issueInstant,
      Destination: v.recipient,
    },
    [
      saml('Issuer', undefined, [v.issuer]),
      samlp('Status', undefined, [samlp('StatusCode', { Value: STATUS_SUCCESS })]),
      // Exactly one Assertion: more widens the signature-wrapping surface.
      assertion,
    ],
  );
  return { response, assertion, assertionIssuer };
};

/** What the minter needs of the active key beyond `sign`, worked out once per Signer object. */
interface SignerMaterial {
  certificateB64: string;
  publicKey: KeyObject;
}

/**
 * Creates the minter of fedgate's SAML Responses for AssumeRoleWithSAML. Options are checked
 * once, here.
 * @throws issuer_misconfigured when the entity id or audience is not an absolute URI (≤ 1024
 *   characters, XML-safe) or the SAML provider name is not an IAM provider name.
 * @example
 * const minter = createAwsSamlMinter({ signingKeys, issuerEntityId: `${base}/aws/saml-metadata.xml` });
 * const { samlResponseB64, principalArn } = await minter.mint({ grant, recipient, nameId, now: Date.now() });
 */
export const createAwsSamlMinter = (opts: AwsSamlMinterOptions): AwsSamlMinter => {
  const { signingKeys, issuerEntityId } = opts;
  const samlProviderName = opts.samlProviderName ?? 'fedgate';
  const audience = opts.audience ?? AWS_SIGNIN_SAML_URL;
  for (const [field, value] of [
    ['issuerEntityId', issuerEntityId],
    ['audience', audience],
  ] as const) {
    if (!ABSOLUTE_URI.test(value) || value.length > MAX_ENTITY_ID_LENGTH || !isXmlSafe(value)) {
      throw new IssuerMisconfiguredError(
        `${field}: must be an absolute URI of at most 1024 characters`,
      );
    }
  }
  if (!SAML_PROVIDER_NAME.test(samlProviderName)) {
    throw new IssuerMisconfiguredError(
      'samlProviderName: not an IAM SAML provider name ([\\w.-]{1,128})',
    );
  }

  const tree = createXmlTreeBuilder();
  const materials = new WeakMap<Signer, SignerMaterial>();
  const materialOf = (signer: Signer): SignerMaterial => {
    let material = materials.get(signer);
    if (!material) {
      let certificate: X509Certificate;
      try {
        certificate = new X509Certificate(signer.certificatePem);
      } catch (cause) {
        throw new IssuerMisconfiguredError(
          `signing key ${signer.kid}: the certificate does not parse`,
          {
            cause,
          },
        );
      }
      const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
      if (!spki.equals(signer.publicKeySpki)) {
        throw new IssuerMisconfiguredError(
          `signing key ${signer.kid}: the certificate is not for this key`,
        );
      }
      material = {
        certificateB64: certificate.raw.toString('base64'),
        publicKey: certificate.publicKey,
      };
      materials.set(signer, material);
    }
    return material;
  };

  return {
    mint: async (input) => {
      const { problems, partition, accountId } = checkMintInput(input);
      if (problems.length > 0 || !partition || !accountId) {
        throw new MintInvalidValueError(problems.join('; '));
      }
      const principalArn = `arn:${partition}:iam::${accountId}:saml-provider/${samlProviderName}`;
      const issued = Math.floor(input.now / 1000) * 1000;
      const notOnOrAfter =
        issued + (input.lifetimeSeconds ?? DEFAULT_ASSERTION_LIFETIME_SECONDS) * 1000;
      const assertionId = newId();

      let unsigned: UnsignedResponse;
      try {
        unsigned = buildUnsignedResponse(tree, {
          grant: input.grant,
          issuer: issuerEntityId,
          audience,
          recipient: input.recipient,
          nameId: input.nameId,
          principalArn,
          responseId: newId(),
          assertionId,
          sessionIndex: newId(),
          issueInstant: isoInstant(issued),
          notOnOrAfter: isoInstant(notOnOrAfter),
          authnInstant: isoInstant(Math.floor((input.authnInstant ?? input.now) / 1000) * 1000),
          authnContextClassRef: input.authnContextClassRef ?? AC_UNSPECIFIED,
        });
      } catch (cause) {
        if (cause instanceof IllegalXmlCharacterError) {
          throw new MintInvalidValueError(
            `a value holds a character XML cannot carry (${cause.message})`,
            { cause },
          );
        }
        throw cause;
      }
      // The Signature goes in after the digest: the Assertion is digested as a verifier sees it
      // after the enveloped-signature transform (XML-DSig §6.6.4), with no whitespace nodes.
      const prepared = prepareEnvelopedSignature(tree, unsigned.assertion, assertionId);

      const signer = await signingKeys.active();
      const material = materialOf(signer);
      const signedBytes = prepared.bytesToSign;
      const signature = await signer.sign(signedBytes);
      // A signer whose signature does not verify with the key it publishes would only fail at STS
      // with an opaque error: fail here, naming the key.
      if (!verify('sha256', signedBytes, material.publicKey, signature)) {
        throw new IssuerMisconfiguredError(
          `signing key ${signer.kid}: signature does not verify with its certificate`,
        );
      }

      const signatureElement = buildSignatureElement(
        tree,
        prepared,
        signature,
        material.certificateB64,
      );
      // Right after the Assertion's Issuer (SAML Core §2.3.3 order).
      unsigned.assertion.insertBefore(signatureElement, unsigned.assertionIssuer.nextSibling);
      const xml = `<?xml version="1.0" encoding="UTF-8"?>${serializeXml(unsigned.response)}`;
      const samlResponseB64 = Buffer.from(xml, 'utf8').toString('base64');
      if (samlResponseB64.length > MAX_SAML_RESPONSE_BASE64_LENGTH) {
        throw new MintTooLargeError(
          `SAMLResponse is ${samlResponseB64.length} base64 characters, AWS accepts at most ${MAX_SAML_RESPONSE_BASE64_LENGTH} (${input.grant.tags.length} tags)`,
        );
      }
      return { samlResponseB64, xml, assertionId, principalArn, notOnOrAfter };
    },
  };
};
