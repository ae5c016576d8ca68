import {
  AssumeRoleWithSAMLCommand,
  AssumeRoleWithWebIdentityCommand,
  ExpiredTokenException,
  IDPCommunicationErrorException,
  IDPRejectedClaimException,
  InvalidIdentityTokenException,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  RegionDisabledException,
  STSClient,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../../shared/http/index.js';
import {
  clampDuration,
  createRoleAssumer,
  regionalStsEndpoint,
  STS_CLIENT_DEFAULTS,
  StsAssumeRoleFailedError,
  translateStsError,
} from '../../../shared/sts/index.js';

const sts = mockClient(STSClient);
beforeEach(() => sts.reset());

const ASSERTION = 'PHNhbWxwOlJlc3BvbnNlIHNlY3JldC1hc3NlcnRpb24+';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdG9rZW4ifQ.c2ln';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN';

const samlInput = {
  roleArn: 'arn:aws:iam::123456789012:role/Developer',
  principalArn: 'arn:aws:iam::123456789012:saml-provider/fedgate',
  samlAssertionB64: ASSERTION,
  durationSeconds: 3600,
};
const webInput = {
  roleArn: 'arn:aws:iam::123456789012:role/Developer',
  webIdentityToken: TOKEN,
  roleSessionName: 'alice',
  durationSeconds: 3600,
};

const EXPIRATION = new Date('2030-01-01T01:00:00Z');
const answer = {
  Credentials: {
    AccessKeyId: 'ASIAEXAMPLE',
    SecretAccessKey: SECRET_KEY,
    SessionToken: SESSION_TOKEN,
    Expiration: EXPIRATION,
  },
  AssumedRoleUser: {
    AssumedRoleId: 'AROAEXAMPLE:alice',
    Arn: 'arn:aws:sts::123456789012:assumed-role/Developer/alice',
  },
  SourceIdentity: 'alice',
  PackedPolicySize: 6,
};
const credentials = {
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: SECRET_KEY,
  sessionToken: SESSION_TOKEN,
  expiration: EXPIRATION,
  assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/Developer/alice',
  sourceIdentity: 'alice',
  packedPolicySize: 6,
};

const serviceError = (name: string, message: string, fault: 'client' | 'server' = 'client') =>
  new STSServiceException({
    name,
    message,
    $fault: fault,
    $metadata: { httpStatusCode: fault === 'server' ? 500 : 400, requestId: 'req-1' },
  });
const maxSessionError = () =>
  serviceError(
    'ValidationError',
    'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
  );
const meta = { $metadata: { httpStatusCode: 400 } };

type Warn = (...args: unknown[]) => void;
const assumer = (log?: { warn: Warn }) =>
  createRoleAssumer({ sts: new STSClient({}), ...(log ? { log } : {}) });

/** Everything an error could put into a log line. */
const loggable = (err: unknown) => {
  const e = err as GatewayError;
  return `${e.message} ${e.detail} ${e.description} ${e.code}`;
};

describe('createRoleAssumer: AssumeRoleWithSAML', () => {
  it('returns the credentials STS issued', async () => {
    sts.on(AssumeRoleWithSAMLCommand).resolves(answer);
    await expect(assumer().assumeRoleWithSaml(samlInput)).resolves.toEqual(credentials);
    expect(sts).toReceiveCommandWith(AssumeRoleWithSAMLCommand, {
      RoleArn: samlInput.roleArn,
      PrincipalArn: samlInput.principalArn,
      SAMLAssertion: ASSERTION,
      DurationSeconds: 3600,
    });
  });

  it('leaves out source identity and packed size when STS sends none', async () => {
    sts.on(AssumeRoleWithSAMLCommand).resolves({
      Credentials: answer.Credentials,
      AssumedRoleUser: answer.AssumedRoleUser,
    });
    const out = await assumer().assumeRoleWithSaml(samlInput);
    expect(out).not.toHaveProperty('sourceIdentity');
    expect(out).not.toHaveProperty('packedPolicySize');
  });

  it.each([
    [60, 900],
    [899, 900],
    [1800.7, 1800],
    [43_200, 43_200],
    [86_400, 43_200],
    [Number.NaN, 3600],
    [Number.POSITIVE_INFINITY, 3600],
  ])('clamps a requested duration of %s s to %s s', async (requested, sent) => {
    sts.on(AssumeRoleWithSAMLCommand).resolves(answer);
    await assumer().assumeRoleWithSaml({ ...samlInput, durationSeconds: requested });
    expect(sts).toReceiveCommandWith(AssumeRoleWithSAMLCommand, { DurationSeconds: sent });
  });

  it("retries once at 3600 s when STS says the duration exceeds the role's maximum", async () => {
    sts.on(AssumeRoleWithSAMLCommand).rejectsOnce(maxSessionError()).resolves(answer);
    const warn = vi.fn<Warn>();
    await expect(
      assumer({ warn }).assumeRoleWithSaml({ ...samlInput, durationSeconds: 43_200 }),
    ).resolves.toEqual(credentials);
    expect(sts).toReceiveCommandTimes(AssumeRoleWithSAMLCommand, 2);
    expect(sts).toReceiveNthCommandWith(AssumeRoleWithSAMLCommand, 1, { DurationSeconds: 43_200 });
    expect(sts).toReceiveNthCommandWith(AssumeRoleWithSAMLCommand, 2, {
      DurationSeconds: 3600,
      SAMLAssertion: ASSERTION,
    });
    expect(warn).toHaveBeenCalledOnce();
    expect(JSON.stringify(warn.mock.calls)).not.toContain(ASSERTION);
  });

  it('retries exactly once: a second refusal is translated, not retried', async () => {
    sts.on(AssumeRoleWithSAMLCommand).rejects(maxSessionError());
    await expect(
      assumer().assumeRoleWithSaml({ ...samlInput, durationSeconds: 7200 }),
    ).rejects.toMatchObject({ code: 'sts_validation_error', status: 502, expose: false });
    expect(sts).toReceiveCommandTimes(AssumeRoleWithSAMLCommand, 2);
  });

  it('does not retry when 3600 s or less was asked', async () => {
    sts.on(AssumeRoleWithSAMLCommand).rejects(maxSessionError());
    await expect(assumer().assumeRoleWithSaml(samlInput)).rejects.toMatchObject({
      code: 'sts_validation_error',
    });
    expect(sts).toReceiveCommandTimes(AssumeRoleWithSAMLCommand, 1);
  });

  it('does not retry other validation errors', async () => {
    sts
      .on(AssumeRoleWithSAMLCommand)
      .rejects(serviceError('ValidationError', "Value at 'roleArn' failed to satisfy constraint"));
    await expect(
      assumer().assumeRoleWithSaml({ ...samlInput, durationSeconds: 43_200 }),
    ).rejects.toMatchObject({ code: 'sts_validation_error' });
    expect(sts).toReceiveCommandTimes(AssumeRoleWithSAMLCommand, 1);
  });

  it('translates an error on the retry', async () => {
    sts
      .on(AssumeRoleWithSAMLCommand)
      .rejectsOnce(maxSessionError())
      .rejects(serviceError('Throttling', 'Rate exceeded'));
    await expect(
      assumer().assumeRoleWithSaml({ ...samlInput, durationSeconds: 43_200 }),
    ).rejects.toMatchObject({ code: 'temporarily_unavailable', status: 503 });
  });

  it.each([
    ['no Credentials', { AssumedRoleUser: answer.AssumedRoleUser }],
    ['no AssumedRoleUser', { Credentials: answer.Credentials }],
    ['no session token', { ...answer, Credentials: { ...answer.Credentials, SessionToken: '' } }],
    [
      'an invalid expiration',
      { ...answer, Credentials: { ...answer.Credentials, Expiration: new Date(Number.NaN) } },
    ],
  ])('refuses an answer with %s', async (_case, out) => {
    sts.on(AssumeRoleWithSAMLCommand).resolves(out);
    await expect(assumer().assumeRoleWithSaml(samlInput)).rejects.toBeInstanceOf(
      StsAssumeRoleFailedError,
    );
  });
});

describe('createRoleAssumer: AssumeRoleWithWebIdentity', () => {
  it('sends the token and session name and returns the credentials', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).resolves(answer);
    await expect(
      assumer().assumeRoleWithWebIdentity({ ...webInput, durationSeconds: 50_000 }),
    ).resolves.toEqual(credentials);
    expect(sts).toReceiveCommandWith(AssumeRoleWithWebIdentityCommand, {
      RoleArn: webInput.roleArn,
      RoleSessionName: 'alice',
      WebIdentityToken: TOKEN,
      DurationSeconds: 43_200,
    });
  });

  it('retries once at 3600 s too', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).rejectsOnce(maxSessionError()).resolves(answer);
    await assumer().assumeRoleWithWebIdentity({ ...webInput, durationSeconds: 43_200 });
    expect(sts).toReceiveNthCommandWith(AssumeRoleWithWebIdentityCommand, 2, {
      DurationSeconds: 3600,
    });
  });

  it('maps InvalidIdentityToken', async () => {
    sts
      .on(AssumeRoleWithWebIdentityCommand)
      .rejects(new InvalidIdentityTokenException({ ...meta, message: 'Incorrect token audience' }));
    await expect(assumer().assumeRoleWithWebIdentity(webInput)).rejects.toMatchObject({
      code: 'sts_invalid_identity_token',
    });
  });
});

describe('STS errors', () => {
  it.each<[string, Error, string]>([
    [
      'IDPRejectedClaim',
      new IDPRejectedClaimException({ ...meta, message: 'rejected' }),
      'sts_idp_rejected_claim',
    ],
    [
      'InvalidIdentityToken',
      new InvalidIdentityTokenException({ ...meta, message: 'Response signature invalid' }),
      'sts_invalid_identity_token',
    ],
    [
      'ExpiredToken',
      new ExpiredTokenException({ ...meta, message: 'Token must be redeemed within 5 minutes' }),
      'sts_expired_token',
    ],
    [
      'MalformedPolicyDocument',
      new MalformedPolicyDocumentException({ ...meta, message: 'malformed' }),
      'sts_malformed_policy',
    ],
    [
      'PackedPolicyTooLarge',
      new PackedPolicyTooLargeException({ ...meta, message: 'consumes 120% of allotted space' }),
      'sts_packed_policy_too_large',
    ],
    [
      'RegionDisabled',
      new RegionDisabledException({ ...meta, message: 'STS is not activated in this region' }),
      'sts_region_disabled',
    ],
    [
      'AccessDenied',
      serviceError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithSAML'),
      'sts_access_denied',
    ],
    ['ValidationError', serviceError('ValidationError', 'bad value'), 'sts_validation_error'],
    [
      'an unknown refusal',
      serviceError('SessionDurationEscalationException', 'no'),
      'sts_assume_role_failed',
    ],
  ])('%s becomes a 502 %s that says what to fix', async (_name, error, code) => {
    sts.on(AssumeRoleWithSAMLCommand).rejects(error);
    const err = await assumer()
      .assumeRoleWithSaml(samlInput)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StsAssumeRoleFailedError);
    expect(err).toMatchObject({ code, status: 502, expose: false, stsCode: error.name });
    const e = err as StsAssumeRoleFailedError;
    expect(e.detail).toContain(error.name);
    expect(e.detail).toContain(samlInput.roleArn);
    expect(e.detail).toContain(error.message);
    // The detail (what the log line shows) carries the fix, as the description does.
    expect(e.detail).toContain(e.description);
    expect(loggable(e)).not.toContain(ASSERTION);
  });

  it('names the trust-policy fixes for AccessDenied and IDPRejectedClaim', () => {
    const denied = translateStsError(serviceError('AccessDenied', 'no'), 'AssumeRoleWithSAML', 'r');
    expect(denied.description).toMatch(
      /sts:AssumeRoleWithSAML.*sts:TagSession.*sts:SetSourceIdentity/,
    );
    const claim = translateStsError(
      new IDPRejectedClaimException({ ...meta, message: 'x' }),
      'AssumeRoleWithSAML',
      'r',
    );
    expect(claim.description).toMatch(/SAML:aud.*sts:TagSession.*sts:SetSourceIdentity/);
  });

  it.each<[string, Error]>([
    ['throttling', serviceError('Throttling', 'Rate exceeded')],
    ['a server fault', serviceError('InternalFailure', 'oops', 'server')],
    ['a 503', serviceError('ServiceUnavailable', 'down', 'server')],
    ['a request timeout', Object.assign(new Error('Request timed out'), { name: 'TimeoutError' })],
    [
      'a refused connection',
      Object.assign(new Error('connect failed'), {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      }),
    ],
    [
      'happy-eyeballs failures',
      new AggregateError([Object.assign(new Error('x'), { code: 'ENETUNREACH' })], 'all failed'),
    ],
    [
      'IDPCommunicationError',
      new IDPCommunicationErrorException({ ...meta, message: 'could not reach JWKS' }),
    ],
  ])('%s becomes a 503 temporarily_unavailable', async (_case, error) => {
    sts.on(AssumeRoleWithSAMLCommand).rejects(error);
    const err = await assumer()
      .assumeRoleWithSaml(samlInput)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'temporarily_unavailable',
      status: 503,
      expose: true,
      dependency: 'sts',
    });
    expect(loggable(err)).not.toContain(ASSERTION);
  });

  it('tells the operator where to look when STS cannot reach the issuer', () => {
    const err = translateStsError(
      new IDPCommunicationErrorException({ ...meta, message: 'x' }),
      'AssumeRoleWithWebIdentity',
      'r',
    );
    expect(err.detail).toContain('jwks_uri');
  });

  it('never carries the assertion, token or credentials', async () => {
    // Even if STS echoed something long, the detail is bounded to one line.
    sts
      .on(AssumeRoleWithWebIdentityCommand)
      .rejects(serviceError('AccessDenied', `denied\r\n${'x'.repeat(1000)}`));
    const err = await assumer()
      .assumeRoleWithWebIdentity(webInput)
      .catch((e: unknown) => e);
    const text = loggable(err);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('\n');
    expect(text).not.toContain('x'.repeat(301));
  });

  it('returns a GatewayError unchanged', () => {
    const err = new GatewayError(400, 'x', 'y');
    expect(translateStsError(err, 'AssumeRoleWithSAML', 'r')).toBe(err);
  });

  it('handles a thrown non-error', () => {
    expect(translateStsError('boom', 'AssumeRoleWithSAML', 'r')).toMatchObject({
      code: 'sts_assume_role_failed',
    });
  });
});

describe('STS client settings', () => {
  it('fail fast: bounded attempts, connection and request timeouts that throw', () => {
    expect(STS_CLIENT_DEFAULTS).toEqual({
      maxAttempts: 3,
      requestHandler: {
        connectionTimeout: 1000,
        requestTimeout: 3000,
        throwOnRequestTimeout: true,
      },
    });
  });

  it('documents the regional endpoint a region resolves to', () => {
    expect(regionalStsEndpoint('eu-west-1').href).toBe('https://sts.eu-west-1.amazonaws.com/');
    expect(regionalStsEndpoint('cn-north-1').href).toBe('https://sts.cn-north-1.amazonaws.com.cn/');
  });

  it('clampDuration keeps whole seconds in 900..43200', () => {
    expect(clampDuration(3599.9)).toBe(3599);
    expect(clampDuration(-1)).toBe(900);
  });
});
