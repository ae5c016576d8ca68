/**
 * The access portal page at its size limit: 150 grants in 40 accounts, nine regions per row
 * select, five recent grants (target ≤ 5 ms per render). One grant and the access keys page for
 * comparison. Prints the page size too: every row carries its own form and region list.
 */
import type { PortalGrant } from '../../shared/portal/index.js';
import { accessKeysPage, portalPage } from '../../shared/portal/index.js';
import { demoAccessKeysView, demoPortalView, manyGrants } from '../unit/portal/fixtures.js';
import { type BenchSuite, printFigures, printResults, runCase } from './harness.js';

const now = 1_796_000_000;
const grants = manyGrants();
const large = demoPortalView(now, { grants, recent: ['g-3', 'g-140', 'g-77', 'g-12', 'g-99'] });
const single = demoPortalView(now, { grants: [grants[0] as PortalGrant], recent: [] });
const keys = demoAccessKeysView(now);

export const suite: BenchSuite = {
  title: 'portal',
  run: async () => {
    const note = `${grants.length} grants, ${new Set(grants.map((g) => g.accountId)).size} accounts`;
    const results = [
      await runCase({
        name: 'portalPage (large)',
        iterations: 20,
        fn: () => portalPage(large, { now }),
        note,
      }),
      await runCase({
        name: 'portalPage (one grant)',
        iterations: 200,
        fn: () => portalPage(single, { now }),
      }),
      await runCase({
        name: 'accessKeysPage',
        iterations: 200,
        fn: () => accessKeysPage(keys, { now }),
      }),
    ];
    printResults('portal', results);
    const bytes = Buffer.byteLength(portalPage(large, { now }).body as string);
    printFigures('portal: derived', [
      {
        name: 'portalPage (large), median render',
        value: results[0]?.median ?? Number.NaN,
        unit: 'ms',
        note: 'target ≤ 5 ms',
      },
      { name: 'portalPage (large), page size', value: bytes / 1024, unit: 'KiB', note },
    ]);
  },
};
