/**
 * `npm run bench`: runs every suite in one process so figures are comparable as ratios.
 * `npm run bench -- mapping` runs only suites whose title contains "mapping".
 */
import type { BenchSuite } from './harness.js';

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
])
  await load(path);

const filter = process.argv[2]?.toLowerCase();
console.log(`fedgate benchmarks · node ${process.version} · ${process.platform}/${process.arch}`);
for (const suite of suites) {
  if (filter && !suite.title.toLowerCase().includes(filter)) continue;
  await suite.run();
}
