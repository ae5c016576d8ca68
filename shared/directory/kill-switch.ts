import type { AwsKillSwitch, KillSwitchOutcome } from './deprovision.js';

/** One account's application of a revocation, as infra/admin/kill-switch-aws.ts `apply` does it. */
export type ApplyRevocation = (
  target: { account: string; partition: 'aws' | 'aws-cn' | 'aws-us-gov' },
  revocation: {
    issuedBefore: Date;
    scope: { kind: 'subject'; sourceIdentities: readonly string[] };
  },
) => Promise<unknown>;

/**
 * The AWS kill switch for deprovisioning: the revocation of the person's SourceIdentities applied
 * in each target account, one after the other (IAM policy versions are per account; a failing
 * account does not stop the others). Each refusal keeps its code (`kill_switch_access_denied`,
 * `revocation_policy_too_large`, …) for the audit line.
 * @example createAwsKillSwitch((partition) => createKillSwitch({ sts, iamFor: iamIn(partition) }).apply)
 */
export const createAwsKillSwitch =
  (applyIn: (partition: 'aws' | 'aws-cn' | 'aws-us-gov') => ApplyRevocation): AwsKillSwitch =>
  async ({ sourceIdentities, issuedBefore, accounts, partition }) => {
    const apply = applyIn(partition);
    const outcomes: KillSwitchOutcome[] = [];
    for (const account of accounts) {
      try {
        await apply(
          { account, partition },
          { issuedBefore, scope: { kind: 'subject', sourceIdentities } },
        );
        outcomes.push({ account, applied: true });
      } catch (err) {
        outcomes.push({
          account,
          applied: false,
          code: (err as { code?: string }).code ?? 'kill_switch_failed',
        });
      }
    }
    return outcomes;
  };
