import { eachLimited } from '../limited.js';
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
 * How many accounts the kill switch applies at once. Each account's revocation is some five IAM
 * and STS calls (about a second); an IdP may list 50 accounts, which one after the other would
 * outlast the function's 29 s.
 */
export const KILL_SWITCH_CONCURRENCY = 8;

/**
 * The AWS kill switch for deprovisioning: the revocation of the person's SourceIdentities applied
 * in each target account, {@link KILL_SWITCH_CONCURRENCY} accounts at a time (IAM policy versions
 * are per account, so accounts do not race each other; a failing account does not stop the
 * others; an account listed twice is applied once). Each refusal keeps its code (`kill_switch_access_denied`,
 * `revocation_policy_too_large`, …) for the audit line; outcomes come in the accounts' order.
 * @example createAwsKillSwitch((partition) => createKillSwitch({ sts, iamFor: iamIn(partition) }).apply)
 */
export const createAwsKillSwitch =
  (applyIn: (partition: 'aws' | 'aws-cn' | 'aws-us-gov') => ApplyRevocation): AwsKillSwitch =>
  async ({ sourceIdentities, issuedBefore, accounts: listed, partition }) => {
    const apply = applyIn(partition);
    // An account listed twice is applied once: two writers of one account's policy would race.
    const accounts = [...new Set(listed)];
    const outcomes: KillSwitchOutcome[] = accounts.map((account) => ({ account, applied: false }));
    await eachLimited(accounts, KILL_SWITCH_CONCURRENCY, async (account, i) => {
      try {
        await apply(
          { account, partition },
          { issuedBefore, scope: { kind: 'subject', sourceIdentities } },
        );
        outcomes[i] = { account, applied: true };
      } catch (err) {
        outcomes[i] = {
          account,
          applied: false,
          code: (err as { code?: string }).code ?? 'kill_switch_failed',
        };
      }
    });
    return outcomes;
  };
