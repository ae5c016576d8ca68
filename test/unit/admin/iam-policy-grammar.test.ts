import { describe, expect, it } from 'vitest';
import { explicitlyDenies, validateManagedPolicy } from '../../support/iam-policy-grammar.js';

/** The test-support validator of IAM's policy grammar: it must refuse what IAM refuses. */

const statement = (overrides: Record<string, unknown> = {}) => ({
  Sid: 'Revoke1',
  Effect: 'Deny',
  Action: '*',
  Resource: '*',
  Condition: {
    StringEquals: { 'aws:SourceIdentity': 'okta.0123456789abcdef' },
    DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:00Z' },
  },
  ...overrides,
});
const policy = (...statements: unknown[]) => ({ Version: '2012-10-17', Statement: statements });

describe('validateManagedPolicy (IAM grammar, written from the docs)', () => {
  it('accepts a well-formed revocation policy', () => {
    expect(
      validateManagedPolicy(
        policy({ Sid: 'Base', Effect: 'Allow', Action: '*', Resource: '*' }, statement()),
      ),
    ).toEqual([]);
  });

  it.each([
    ['a Sid with a dash', policy(statement({ Sid: 'Revoke-1' }))],
    ['a Sid with an underscore', policy(statement({ Sid: 'Revoke_1' }))],
    ['two statements with one Sid', policy(statement(), statement())],
    ['no Version', { Statement: [statement()] }],
    ['Version 2012-10-18', { Version: '2012-10-18', Statement: [statement()] }],
    ['no statement', policy()],
    ['a Principal (identity policies have none)', policy(statement({ Principal: '*' }))],
    ['no Resource', policy(statement({ Resource: undefined }))],
    ['Effect "deny"', policy(statement({ Effect: 'deny' }))],
    ['an action without a service', policy(statement({ Action: 'AssumeRole' }))],
    [
      'an operator that does not exist',
      policy(statement({ Condition: { StringMatches: { 'aws:SourceIdentity': 'x' } } })),
    ],
    [
      'a global key that does not exist',
      policy(statement({ Condition: { StringEquals: { 'aws:SourceIdentities': 'x' } } })),
    ],
    [
      'a date operator on a string key',
      policy(statement({ Condition: { DateLessThan: { 'aws:SourceIdentity': '2026-01-01' } } })),
    ],
    [
      'a string operator on a date key',
      policy(statement({ Condition: { StringLike: { 'aws:TokenIssueTime': '2026*' } } })),
    ],
    [
      'a date that is not ISO 8601',
      policy(
        statement({ Condition: { DateLessThan: { 'aws:TokenIssueTime': '03/01/2026 12:00' } } }),
      ),
    ],
    [
      'a date with month 13',
      policy(
        statement({
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-13-01T00:00:00Z' } },
        }),
      ),
    ],
    [
      'a condition value that is an object',
      policy(statement({ Condition: { StringEquals: { 'aws:SourceIdentity': { a: 1 } } } })),
    ],
    [
      'over 6,144 characters without whitespace',
      policy(
        statement({
          Condition: {
            StringEquals: {
              'aws:SourceIdentity': Array.from(
                { length: 300 },
                (_, i) => `okta.${String(i).padStart(16, '0')}`,
              ),
            },
          },
        }),
      ),
    ],
  ])('refuses %s', (_, document) => {
    expect(validateManagedPolicy(document)).not.toEqual([]);
  });

  it('does not count whitespace against the size limit', () => {
    const values = Array.from({ length: 200 }, (_, i) => `okta.${i}`);
    const document = policy(
      statement({ Condition: { StringEquals: { 'aws:SourceIdentity': values } } }),
    );
    const padded = JSON.parse(JSON.stringify(document).replaceAll(',', ' ,   '));
    expect(JSON.stringify(padded, null, 8).length).toBeGreaterThan(6144);
    expect(validateManagedPolicy(padded)).toEqual([]);
  });
});

describe('explicitlyDenies (IAM evaluation of Deny statements)', () => {
  const doc = policy(statement(), {
    Sid: 'Idp',
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      StringLike: { 'aws:SourceIdentity': 'entra.*' },
      DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:00Z' },
    },
  });
  const at = (iso: string) => new Date(iso);

  it('denies a matching SourceIdentity issued before the moment, not at or after it', () => {
    expect(
      explicitlyDenies(doc, {
        sourceIdentity: 'okta.0123456789abcdef',
        tokenIssueTime: at('2026-03-01T11:59:59Z'),
      }),
    ).toBe(true);
    expect(
      explicitlyDenies(doc, {
        sourceIdentity: 'okta.0123456789abcdef',
        tokenIssueTime: at('2026-03-01T12:00:00Z'),
      }),
    ).toBe(false);
  });

  it('StringLike and a missing key', () => {
    const before = at('2026-03-01T11:00:00Z');
    expect(explicitlyDenies(doc, { sourceIdentity: 'entra.x', tokenIssueTime: before })).toBe(true);
    expect(explicitlyDenies(doc, { sourceIdentity: 'entrax', tokenIssueTime: before })).toBe(false);
    expect(explicitlyDenies(doc, { tokenIssueTime: before })).toBe(false);
  });
});
