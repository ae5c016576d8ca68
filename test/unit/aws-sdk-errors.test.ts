import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { IDPCommunicationErrorException, STSServiceException } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import {
  classifyTransientSdkFailure,
  sdkErrorName,
  sdkErrorShape,
  transientSdkFailure,
} from '../../shared/aws-sdk-errors.js';

const networkError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
const named = (name: string) => Object.assign(new Error('x'), { name });
const stsError = (name: string, fault: 'client' | 'server', httpStatusCode?: number) =>
  new STSServiceException({ name, $fault: fault, $metadata: { httpStatusCode } });

describe('sdkErrorShape and sdkErrorName', () => {
  it('read an object as it is and anything else as an empty shape', () => {
    const err = networkError('ECONNRESET');
    expect(sdkErrorShape(err)).toBe(err);
    expect(sdkErrorShape(undefined)).toEqual({});
    expect(sdkErrorShape('a string')).toEqual({});
    expect(sdkErrorShape(null)).toEqual({});
  });

  it('names an error by its name, or "unknown error" when it has none', () => {
    expect(sdkErrorName(named('ThrottlingException'))).toBe('ThrottlingException');
    expect(sdkErrorName({ name: 42 })).toBe('unknown error');
    expect(sdkErrorName('a string')).toBe('unknown error');
  });
});

describe('transientSdkFailure', () => {
  it.each([
    // DynamoDB's names
    [
      new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }),
      'throttled (ProvisionedThroughputExceededException)',
    ],
    [named('ThrottlingException'), 'throttled (ThrottlingException)'],
    [named('RequestLimitExceeded'), 'throttled (RequestLimitExceeded)'],
    // STS's names
    [stsError('Throttling', 'client', 400), 'throttled (Throttling)'],
    [named('TooManyRequestsException'), 'throttled (TooManyRequestsException)'],
    [named('RequestThrottled'), 'throttled (RequestThrottled)'],
    [named('RequestThrottledException'), 'throttled (RequestThrottledException)'],
  ])('reports %s as throttled', (err, reason) => {
    expect(transientSdkFailure(err)).toBe(reason);
    expect(classifyTransientSdkFailure(err)?.kind).toBe('throttled');
  });

  it.each(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'])(
    'reports %s as timed out',
    (name) => {
      expect(classifyTransientSdkFailure(named(name))).toEqual({
        kind: 'timed_out',
        reason: `timed out (${name})`,
      });
    },
  );

  it.each([
    ['on the error', networkError('ENOTFOUND'), 'ENOTFOUND'],
    [
      'inside an AggregateError (happy eyeballs)',
      new AggregateError([new Error('other'), networkError('ECONNREFUSED')], 'connect'),
      'ECONNREFUSED',
    ],
    [
      'as a cause',
      new Error('request failed', { cause: networkError('ECONNREFUSED') }),
      'ECONNREFUSED',
    ],
    [
      'as the cause of an AggregateError member',
      new AggregateError([new Error('x', { cause: networkError('EAI_AGAIN') })], 'connect'),
      'EAI_AGAIN',
    ],
    [
      'three causes down',
      new Error('1', {
        cause: new Error('2', { cause: new Error('3', { cause: networkError('EPIPE') }) }),
      }),
      'EPIPE',
    ],
  ])('reports a network code %s as unreachable', (_where, err, code) => {
    expect(classifyTransientSdkFailure(err)).toEqual({
      kind: 'unreachable',
      reason: `unreachable (${code})`,
    });
  });

  it('looks no deeper than three levels for a network code', () => {
    const deep = new Error('1', {
      cause: new Error('2', {
        cause: new Error('3', { cause: new Error('4', { cause: networkError('ECONNREFUSED') }) }),
      }),
    });
    expect(transientSdkFailure(deep)).toBeUndefined();
    expect(transientSdkFailure(networkError('EACCES'))).toBeUndefined();
  });

  it.each([
    [new InternalServerError({ message: 'oops', $metadata: {} }), 'InternalServerError'],
    [stsError('InternalFailure', 'server', 500), 'InternalFailure 500'],
    [stsError('ServiceUnavailable', 'client', 503), 'ServiceUnavailable 503'],
    [{ name: 'Whatever', $metadata: { httpStatusCode: 502 } }, 'Whatever 502'],
  ])('reports a server fault or 5xx (%s) as failed on the server', (err, shown) => {
    expect(classifyTransientSdkFailure(err)).toEqual({
      kind: 'server_fault',
      reason: `failed on the server (${shown})`,
    });
  });

  it.each([
    ['a missing table', new ResourceNotFoundException({ message: 'no table', $metadata: {} })],
    ['an STS refusal', stsError('AccessDenied', 'client', 403)],
    [
      'IDPCommunicationError (the STS translator decides)',
      new IDPCommunicationErrorException({ message: 'x', $metadata: { httpStatusCode: 400 } }),
    ],
    ['a 4xx without a fault', { name: 'Odd', $metadata: { httpStatusCode: 499 } }],
    ['a plain Error', new Error('boom')],
    ['a string', 'boom'],
    ['undefined', undefined],
  ])('reports %s as not transient', (_what, err) => {
    expect(transientSdkFailure(err)).toBeUndefined();
    expect(classifyTransientSdkFailure(err)).toBeUndefined();
  });
});
