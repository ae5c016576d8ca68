import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  DependencyUnavailableError,
  GatewayMisconfiguredError,
} from '../../../shared/http/errors.js';
import {
  isConditionalCheckFailed,
  ReplayDetectedError,
  StateItemExistsError,
  StoreOperationFailedError,
  translateDynamoError,
} from '../../../shared/store/index.js';

const meta = { $metadata: {} };
const networkError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });

describe('translateDynamoError', () => {
  it.each([
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'slow down', ...meta }),
    ],
    ['ThrottlingException', new ThrottlingException({ message: 'slow down', ...meta })],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'slow down', ...meta })],
    ['InternalServerError', new InternalServerError({ message: 'oops', ...meta })],
    [
      'a 503 without a modelled name',
      new DynamoDBServiceException({
        name: 'ServiceUnavailable',
        $fault: 'client',
        $metadata: { httpStatusCode: 503 },
      }),
    ],
    ['a socket timeout', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' })],
    ['ECONNREFUSED', networkError('ECONNREFUSED')],
    ['ECONNRESET', networkError('ECONNRESET')],
    ['ENOTFOUND', networkError('ENOTFOUND')],
    [
      'ECONNREFUSED inside an AggregateError (happy eyeballs)',
      new AggregateError([networkError('ECONNREFUSED'), networkError('ECONNREFUSED')], 'connect'),
    ],
    [
      'ECONNREFUSED as a cause',
      new Error('request failed', { cause: networkError('ECONNREFUSED') }),
    ],
  ])('maps %s to a 503 temporarily_unavailable', (_name, err) => {
    const translated = translateDynamoError(err, 'PutItem');
    expect(translated).toBeInstanceOf(DependencyUnavailableError);
    expect(translated).toMatchObject({
      status: 503,
      code: 'temporarily_unavailable',
      expose: true,
      dependency: 'dynamodb',
      cause: err,
    });
    expect(translated.detail).toMatch(/^dynamodb: PutItem /);
  });

  it('maps a missing table or grant to a misconfiguration (500, not exposed)', () => {
    const translated = translateDynamoError(
      new ResourceNotFoundException({ message: 'Requested resource not found', ...meta }),
      'Query',
    );
    expect(translated).toBeInstanceOf(GatewayMisconfiguredError);
    expect(translated).toMatchObject({ status: 500, code: 'server_error', expose: false });
    const denied = new DynamoDBServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(translateDynamoError(denied, 'Query')).toBeInstanceOf(GatewayMisconfiguredError);
  });

  it('maps anything else to a 500 that names the error, never its message', () => {
    const err = new DynamoDBServiceException({
      name: 'ValidationException',
      message: 'One or more parameter values were invalid: secret-value',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    const translated = translateDynamoError(err, 'PutItem');
    expect(translated).toBeInstanceOf(StoreOperationFailedError);
    expect(translated).toMatchObject({ status: 500, code: 'server_error', expose: false });
    expect(translated.detail).toBe('dynamodb PutItem failed (ValidationException)');
    expect(translateDynamoError('a string', 'GetItem').code).toBe('server_error');
  });

  it('returns a GatewayError unchanged', () => {
    const err = new StateItemExistsError('x');
    expect(translateDynamoError(err, 'PutItem')).toBe(err);
  });

  it('recognises a failed condition by name, for the call site to give it a meaning', () => {
    expect(
      isConditionalCheckFailed(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', ...meta }),
      ),
    ).toBe(true);
    expect(isConditionalCheckFailed(new ThrottlingException({ message: 'x', ...meta }))).toBe(
      false,
    );
    expect(isConditionalCheckFailed(undefined)).toBe(false);
  });
});

describe('store errors', () => {
  it('have stable codes and statuses', () => {
    expect(new ReplayDetectedError('d')).toMatchObject({
      status: 400,
      code: 'replay_detected',
      expose: true,
    });
    expect(new StateItemExistsError('d')).toMatchObject({
      status: 409,
      code: 'state_conflict',
      expose: true,
    });
    expect(new StoreOperationFailedError('d')).toMatchObject({
      status: 500,
      code: 'server_error',
      expose: false,
    });
  });
});
