import {
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  IAMServiceException,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  buildRevocationPolicy,
  INITIAL_REVOCATION_POLICY,
  type Revocation,
} from '../../../infra/admin/kill-switch.js';
import { createKillSwitch, type WriterCredentials } from '../../../infra/admin/kill-switch-aws.js';
import { explicitlyDenies, validateManagedPolicy } from '../../support/iam-policy-grammar.js';

const ACCOUNT = '210987654321';
const POLICY_ARN = `arn:aws:iam::${ACCOUNT}:policy/fedgate-session-revocations`;
const WRITER_ARN = `arn:aws:iam::${ACCOUNT}:role/fedgate-revocation-writer`;
const NOW = new Date('2026-03-01T12:00:00Z');
const WRITER: WriterCredentials = {
  accessKeyId: 'ASIAWRITER',
  secretAccessKey: 'writer-secret',
  sessionToken: 'writer-token',
};

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);

const awsError = (
  Exception: typeof IAMServiceException | typeof STSServiceException,
  name: string,
) => new Exception({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: name });

/**
 * IAM's versions of one managed policy, as IAM keeps them: numbered v1, v2, … never reused, at
 * most five (CreatePolicyVersion then fails with LimitExceeded), the default cannot be deleted,
 * documents come back URL-encoded.
 */
const fakePolicy = (initial: unknown = INITIAL_REVOCATION_POLICY) => {
  let counter = 1;
  let defaultId = 'v1';
  const versions = new Map<string, string>([['v1', JSON.stringify(initial)]]);
  const state = {
    /** Runs right before each CreatePolicyVersion is applied (another operator, say). */
    beforeCreate: undefined as (() => void) | undefined,
    create(document: string, setAsDefault: boolean): string {
      if (versions.size >= 5) throw awsError(IAMServiceException, 'LimitExceeded');
      counter += 1;
      const id = `v${counter}`;
      versions.set(id, document);
      if (setAsDefault) defaultId = id;
      return id;
    },
    get defaultId() {
      return defaultId;
    },
    versions,
    document: (id = defaultId) => JSON.parse(versions.get(id) as string),
  };
  iam.on(GetPolicyCommand).callsFake(() => ({
    Policy: { Arn: POLICY_ARN, DefaultVersionId: defaultId },
  }));
  iam.on(ListPolicyVersionsCommand).callsFake(() => ({
    Versions: [...versions.keys()].map((id) => ({
      VersionId: id,
      IsDefaultVersion: id === defaultId,
    })),
  }));
  iam.on(GetPolicyVersionCommand).callsFake(({ VersionId }: { VersionId: string }) => {
    const document = versions.get(VersionId);
    if (!document) throw awsError(IAMServiceException, 'NoSuchEntity');
    return { PolicyVersion: { VersionId, Document: encodeURIComponent(document) } };
  });
  iam.on(DeletePolicyVersionCommand).callsFake(({ VersionId }: { VersionId: string }) => {
    if (VersionId === defaultId) throw awsError(IAMServiceException, 'DeleteConflict');
    versions.delete(VersionId);
    return {};
  });
  iam
    .on(CreatePolicyVersionCommand)
    .callsFake(
      ({ PolicyDocument, SetAsDefault }: { PolicyDocument: string; SetAsDefault: boolean }) => {
        state.beforeCreate?.();
        return { PolicyVersion: { VersionId: state.create(PolicyDocument, SetAsDefault) } };
      },
    );
  return state;
};

let iamCredentials: WriterCredentials[];
const killSwitch = () =>
  createKillSwitch({
    sts: new STSClient({ region: 'us-east-1' }),
    iamFor: (credentials) => {
      iamCredentials.push(credentials);
      return new IAMClient({ region: 'us-east-1', credentials });
    },
    clock: () => NOW.getTime(),
  });

const revokeIdp = (idp = 'okta'): Revocation => ({
  scope: { kind: 'idp', idp },
  issuedBefore: NOW,
});
const revokeSubject = (si: string): Revocation => ({
  scope: { kind: 'subject', sourceIdentities: [si] },
  issuedBefore: NOW,
});
const beforeNow = new Date(NOW.getTime() - 60_000);

beforeEach(() => {
  sts.reset();
  iam.reset();
  iamCredentials = [];
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: WRITER.accessKeyId,
      SecretAccessKey: WRITER.secretAccessKey,
      SessionToken: WRITER.sessionToken,
      Expiration: undefined as unknown as Date,
    },
  });
});

describe('createKillSwitch().apply: one target account', () => {
  it('assumes the writer role, then makes the next document the default version', async () => {
    const policy = fakePolicy();
    const result = await killSwitch().apply({ account: ACCOUNT }, revokeIdp());

    expect(sts).toReceiveCommandWith(AssumeRoleCommand, {
      RoleArn: WRITER_ARN,
      RoleSessionName: 'fedgate-kill-switch',
      DurationSeconds: 900,
    });
    expect(iamCredentials).toEqual([WRITER]);
    expect(iam).toReceiveCommandWith(CreatePolicyVersionCommand, {
      PolicyArn: POLICY_ARN,
      SetAsDefault: true,
    });
    expect(iam).not.toReceiveCommand(DeletePolicyVersionCommand);
    expect(result).toMatchObject({
      account: ACCOUNT,
      policyArn: POLICY_ARN,
      changed: true,
      versionId: 'v2',
      previousVersionId: 'v1',
      deletedVersionIds: [],
    });
    expect(policy.defaultId).toBe('v2');
    const live = policy.document();
    expect(live).toEqual(result.document);
    expect(validateManagedPolicy(live)).toEqual([]);
    expect(
      explicitlyDenies(live, {
        sourceIdentity: 'okta.0123456789abcdef',
        tokenIssueTime: beforeNow,
      }),
    ).toBe(true);
    expect(explicitlyDenies(live, { sourceIdentity: 'entra.x', tokenIssueTime: beforeNow })).toBe(
      false,
    );
  });

  it('with five versions, deletes the oldest non-default one first, then writes', async () => {
    const policy = fakePolicy();
    for (const si of ['a.aa', 'b.bb', 'c.cc', 'd.dd']) {
      policy.create(
        JSON.stringify(buildRevocationPolicy(policy.document(), revokeSubject(si), NOW)),
        true,
      );
    }
    // v1..v5, v5 the default; the oldest non-default is v1.
    const result = await killSwitch().apply({ account: ACCOUNT }, revokeIdp());
    expect(result).toMatchObject({
      versionId: 'v6',
      previousVersionId: 'v5',
      deletedVersionIds: ['v1'],
    });
    expect([...policy.versions.keys()]).toEqual(['v2', 'v3', 'v4', 'v5', 'v6']);
    const calls = iam.calls().map((c) => c.args[0].constructor.name);
    expect(calls.indexOf('DeletePolicyVersionCommand')).toBeLessThan(
      calls.indexOf('CreatePolicyVersionCommand'),
    );
    // Nothing earlier was lost: the new default still refuses the four subjects.
    for (const si of ['a.aa', 'b.bb', 'c.cc', 'd.dd']) {
      expect(
        explicitlyDenies(policy.document(), { sourceIdentity: si, tokenIssueTime: beforeNow }),
      ).toBe(true);
    }
  });

  it('writes nothing when the policy already denies what is asked', async () => {
    const policy = fakePolicy(buildRevocationPolicy(INITIAL_REVOCATION_POLICY, revokeIdp(), NOW));
    const result = await killSwitch().apply(
      { account: ACCOUNT },
      { ...revokeSubject('okta.0123456789abcdef'), issuedBefore: beforeNow },
    );
    expect(result).toMatchObject({ changed: false, versionId: 'v1' });
    expect(iam).not.toReceiveCommand(CreatePolicyVersionCommand);
    expect(policy.versions.size).toBe(1);
  });

  it('merges a version another operator wrote between its read and its write', async () => {
    const policy = fakePolicy();
    let raced = false;
    policy.beforeCreate = () => {
      if (raced) return;
      raced = true;
      // Another operator, from the same base v1, revokes entra first: v2.
      policy.create(
        JSON.stringify(buildRevocationPolicy(INITIAL_REVOCATION_POLICY, revokeIdp('entra'), NOW)),
        true,
      );
    };
    const result = await killSwitch().apply({ account: ACCOUNT }, revokeIdp('okta'));
    // Ours became v3 from base v1: a race, so it read v2 and wrote v4 with both.
    expect(result).toMatchObject({ changed: true, versionId: 'v4', previousVersionId: 'v1' });
    const live = policy.document();
    for (const si of ['okta.x1', 'entra.x1']) {
      expect(explicitlyDenies(live, { sourceIdentity: si, tokenIssueTime: beforeNow }), si).toBe(
        true,
      );
    }
  });

  it('refuses a revocation that would overflow the policy, writing and deleting nothing', async () => {
    const policy = fakePolicy();
    const many = Array.from({ length: 300 }, (_, i) => `okta.${i.toString(16).padStart(16, '0')}`);
    await expect(
      killSwitch().apply(
        { account: ACCOUNT },
        { scope: { kind: 'subject', sourceIdentities: many }, issuedBefore: NOW },
      ),
    ).rejects.toMatchObject({ code: 'revocation_policy_too_large' });
    expect(iam).not.toReceiveCommand(CreatePolicyVersionCommand);
    expect(iam).not.toReceiveCommand(DeletePolicyVersionCommand);
    expect(policy.defaultId).toBe('v1');
  });

  it('refuses to overwrite a policy someone edited by hand', async () => {
    const edited = {
      ...INITIAL_REVOCATION_POLICY,
      Statement: [
        ...INITIAL_REVOCATION_POLICY.Statement,
        { Sid: 'Mine', Effect: 'Deny', Action: 's3:*', Resource: '*' },
      ],
    };
    fakePolicy(edited);
    await expect(killSwitch().apply({ account: ACCOUNT }, revokeIdp())).rejects.toMatchObject({
      code: 'revocation_policy_unrecognized',
    });
    expect(iam).not.toReceiveCommand(CreatePolicyVersionCommand);
  });

  it('an operator who may not assume the writer role: kill_switch_access_denied, no IAM call', async () => {
    fakePolicy();
    sts.on(AssumeRoleCommand).rejects(awsError(STSServiceException, 'AccessDenied'));
    const failure = killSwitch().apply({ account: ACCOUNT }, revokeIdp());
    await expect(failure).rejects.toMatchObject({ code: 'kill_switch_access_denied' });
    await expect(failure).rejects.toThrow(/revocationWriters/);
    expect(iam.calls()).toHaveLength(0);
  });

  it('IAM refusing the write: kill_switch_access_denied, the version in force unchanged', async () => {
    const policy = fakePolicy();
    iam.on(CreatePolicyVersionCommand).rejects(awsError(IAMServiceException, 'AccessDenied'));
    await expect(killSwitch().apply({ account: ACCOUNT }, revokeIdp())).rejects.toMatchObject({
      code: 'kill_switch_access_denied',
      message: expect.stringMatching(/version in force is unchanged/),
    });
    expect(policy.defaultId).toBe('v1');
  });

  it("throttled after the SDK's retries: kill_switch_throttled, saying which history version went", async () => {
    const policy = fakePolicy();
    for (const si of ['a.aa', 'b.bb', 'c.cc', 'd.dd']) {
      policy.create(
        JSON.stringify(buildRevocationPolicy(policy.document(), revokeSubject(si), NOW)),
        true,
      );
    }
    iam.on(CreatePolicyVersionCommand).rejects(awsError(IAMServiceException, 'Throttling'));
    await expect(killSwitch().apply({ account: ACCOUNT }, revokeIdp())).rejects.toMatchObject({
      code: 'kill_switch_throttled',
      message: expect.stringMatching(/unchanged; history version v1 was deleted/),
    });
    expect(policy.defaultId).toBe('v5');
  });

  it('throttled while reading: nothing written', async () => {
    fakePolicy();
    iam.on(GetPolicyCommand).rejects(awsError(IAMServiceException, 'Throttling'));
    await expect(killSwitch().apply({ account: ACCOUNT }, revokeIdp())).rejects.toMatchObject({
      code: 'kill_switch_throttled',
    });
    expect(iam).not.toReceiveCommand(CreatePolicyVersionCommand);
  });

  it('a target account without the stack: kill_switch_policy_missing', async () => {
    fakePolicy();
    iam.on(GetPolicyCommand).rejects(awsError(IAMServiceException, 'NoSuchEntity'));
    await expect(killSwitch().apply({ account: ACCOUNT }, revokeIdp())).rejects.toMatchObject({
      code: 'kill_switch_policy_missing',
    });
  });

  it('gives up with kill_switch_conflict when other writers win three times in a row', async () => {
    const policy = fakePolicy();
    let n = 0;
    policy.beforeCreate = () => {
      n += 1;
      if (n > 6) return;
      // Each time: someone else's write lands first (keeping room: drop the oldest non-default).
      const oldest = [...policy.versions.keys()].find((id) => id !== policy.defaultId);
      if (policy.versions.size >= 4 && oldest) policy.versions.delete(oldest);
      policy.create(
        JSON.stringify(buildRevocationPolicy(policy.document(), revokeSubject(`x.r${n}`), NOW)),
        true,
      );
    };
    await expect(killSwitch().apply({ account: ACCOUNT }, revokeIdp())).rejects.toMatchObject({
      code: 'kill_switch_conflict',
    });
    // What did land only adds denies: the revocation is in force anyway.
    expect(
      explicitlyDenies(policy.document(), { sourceIdentity: 'okta.x', tokenIssueTime: beforeNow }),
    ).toBe(true);
  });

  it('in another partition, names the writer role and policy there', async () => {
    fakePolicy();
    iam.on(GetPolicyCommand).callsFake(({ PolicyArn }: { PolicyArn: string }) => ({
      Policy: { Arn: PolicyArn, DefaultVersionId: 'v1' },
    }));
    await killSwitch().apply({ account: ACCOUNT, partition: 'aws-us-gov' }, revokeIdp());
    expect(sts).toReceiveCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws-us-gov:iam::${ACCOUNT}:role/fedgate-revocation-writer`,
    });
    expect(iam).toReceiveCommandWith(GetPolicyCommand, {
      PolicyArn: `arn:aws-us-gov:iam::${ACCOUNT}:policy/fedgate-session-revocations`,
    });
  });
});
