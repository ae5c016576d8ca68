import { describe, expect, it } from 'vitest';
import { createAwsKillSwitch, KILL_SWITCH_CONCURRENCY } from '../../../shared/directory/index.js';

/**
 * The deprovisioning kill switch across an IdP's accounts (up to 50): each account's policy is its
 * own, so accounts are applied a few at a time — one after the other, 50 accounts of ~1 s of IAM
 * calls each would outlast the function's 29 s and leave the directory unchanged — and a failing
 * account neither stops the others nor loses its place in the outcomes.
 */
describe('createAwsKillSwitch', () => {
  const accounts = Array.from({ length: 20 }, (_, i) => String(100000000000 + i));

  it('applies a few accounts at a time, never more, and reports every account in order', async () => {
    const applied: string[] = [];
    let inFlight = 0;
    let most = 0;
    const killSwitch = createAwsKillSwitch(() => async (target) => {
      applied.push(target.account);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      if (target.account.endsWith('07')) {
        throw Object.assign(new Error('denied'), { code: 'kill_switch_access_denied' });
      }
    });
    const outcomes = await killSwitch({
      sourceIdentities: ['okta.ref'],
      issuedBefore: new Date(0),
      accounts: [...accounts, accounts[3] as string],
      partition: 'aws',
    });
    // Listed twice, applied once: two writers of one account's policy would race.
    expect(applied.filter((a) => a === accounts[3])).toHaveLength(1);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(KILL_SWITCH_CONCURRENCY);
    expect(outcomes.map((o) => o.account)).toEqual(accounts);
    expect(outcomes.filter((o) => !o.applied)).toEqual([
      { account: '100000000007', applied: false, code: 'kill_switch_access_denied' },
    ]);
  });
});
