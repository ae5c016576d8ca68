/**
 * A small benchmark harness: each case runs a warm-up, then `runs` timed samples of `iterations`
 * calls each; the figures are per call. Printed as a table (name, median, min, max, runs, unit) so
 * cases can be compared as ratios measured in the same run on a noisy machine.
 */
export interface BenchCase {
  name: string;
  /** Calls per sample (default 1). */
  iterations?: number;
  /** Samples (default 30). */
  runs?: number;
  /** Warm-up calls before sampling (default iterations). */
  warmup?: number;
  /** Printed next to the figures, e.g. "1,000 rules, 200 groups". */
  note?: string;
  setup?: () => void | Promise<void>;
  fn: () => unknown | Promise<unknown>;
}

export interface BenchResult {
  name: string;
  median: number;
  min: number;
  max: number;
  runs: number;
  unit: string;
  note?: string;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Runs one case and returns its per-call timings in milliseconds. */
export const runCase = async (c: BenchCase): Promise<BenchResult> => {
  const iterations = c.iterations ?? 1;
  const runs = c.runs ?? 30;
  await c.setup?.();
  for (let i = 0; i < (c.warmup ?? iterations); i++) await c.fn();
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await c.fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6 / iterations);
  }
  return {
    name: c.name,
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    runs,
    unit: 'ms/op',
    ...(c.note ? { note: c.note } : {}),
  };
};

const fmt = (n: number) => (n >= 100 ? n.toFixed(1) : n >= 1 ? n.toFixed(3) : n.toPrecision(3));

/** Prints results as an aligned table. */
export const printResults = (title: string, results: readonly BenchResult[]): void => {
  console.log(`\n## ${title}`);
  const rows = [
    ['name', 'median', 'min', 'max', 'runs', 'unit', 'note'],
    ...results.map((r) => [
      r.name,
      fmt(r.median),
      fmt(r.min),
      fmt(r.max),
      String(r.runs),
      r.unit,
      r.note ?? '',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
};

/** Prints derived figures (throughputs, ratios, sizes). */
export const printFigures = (title: string, figures: readonly Figure[]): void => {
  console.log(`\n## ${title}`);
  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) {
    console.log(
      `${f.name.padEnd(width)}  ${fmt(f.value)} ${f.unit}${f.note ? `  (${f.note})` : ''}`,
    );
  }
};

/** A suite: a file under test/bench/ exporting `run()`; run.ts runs them all in one process. */
export interface BenchSuite {
  title: string;
  run: () => Promise<void>;
}
