/**
 * `npm run bench`: runs every suite in one process so figures are comparable as ratios.
 * `npm run bench -- mapping` runs the suite titled "mapping" (or, without one, every suite whose
 * title contains the word).
 */
import type { BenchSuite } from './harness.js';

// The suites that run the local gateway in-process would print its log lines between the tables.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const suites: BenchSuite[] = [];
const load = async (path: string) =>
  suites.push(((await import(path)) as { suite: BenchSuite }).suite);
for (const path of [
  './bundle.bench.js',
  './mapping.bench.js',
  './issuer.bench.js',
  './saml.bench.js',
  './oidc.bench.js',
  './load.bench.js',
  './portal.bench.js',
  './sessions.bench.js',
  './cli.bench.js',
  './directory.bench.js',
])
  await load(path);

const filter = process.argv[2]?.toLowerCase();
// A title equal to the filter runs alone (`saml` is not also the load suite's SAML rounds).
const exact = suites.some((s) => s.title.toLowerCase() === filter);
const selected = (title: string) =>
  !filter || (exact ? title.toLowerCase() === filter : title.toLowerCase().includes(filter));
console.log(`fedgate benchmarks · node ${process.version} · ${process.platform}/${process.arch}`);
for (const suite of suites) {
  if (!selected(suite.title)) continue;
  await suite.run();
}
