import { describe, expect, it } from 'vitest';
import { parseScimBody, SCIM_MAX_BODY_BYTES } from '../../../shared/scim/index.js';
import { apiEvent } from '../../support/events.js';

/**
 * SCIM bodies as API Gateway may deliver them: as text, or base64 (`isBase64Encoded`) when it
 * does not treat the content type as text. Either way a bad body is a SCIM 400/413, never a 500.
 */
const scimEvent = (body: string, isBase64Encoded: boolean) =>
  apiEvent({
    method: 'POST',
    path: '/scim/v2/okta/Users',
    headers: { 'content-type': 'application/scim+json' },
    body,
    isBase64Encoded,
  });

describe('parseScimBody', () => {
  it('reads a base64 body as a text one', () => {
    const json = '{"userName":"ada@x","externalId":"00u1ada"}';
    expect(parseScimBody(scimEvent(Buffer.from(json).toString('base64'), true))).toEqual(
      JSON.parse(json),
    );
  });

  it.each([
    ['malformed base64', 'not base64!', 400, 'scim_invalid_syntax'],
    [
      'base64 of bytes that are not UTF-8',
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'),
      400,
      'scim_invalid_syntax',
    ],
    [
      'base64 of JSON that is not one',
      Buffer.from('{"a":').toString('base64'),
      400,
      'scim_invalid_syntax',
    ],
    [
      'base64 over the size bound',
      'A'.repeat(Math.ceil((SCIM_MAX_BODY_BYTES * 4) / 3) + 8),
      413,
      'scim_payload_too_large',
    ],
  ])('refuses %s with a SCIM error', (_what, body, status, code) => {
    let thrown: unknown;
    try {
      parseScimBody(scimEvent(body, true));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ status, code });
  });
});
