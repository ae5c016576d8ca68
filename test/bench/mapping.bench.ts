/**
 * The mapping engine under a large rule set: 1,000 rules (mostly `contains` on groups, with
 * equals/startsWith/matches in exact and fold modes mixed in, about 10% matching, a deny every
 * hundred rules and one gateway deny) against an identity with 200 groups and 10 other claims;
 * the catastrophic-backtracking pattern on its adversarial value; and what the RE2 engine adds
 * to a function bundle and its cold import. Compares the one-shot functions (compile per call) with a compiled
 * mapper (what a sign-in path keeps), for mapGrants and explain.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { functionEsbuildOptions } from '../../infra/cdk/function-bundling.js';
import { type DenyRule, type Rule, RuleSchema } from '../../shared/config/index.js';
import {
  createMapper,
  explain,
  type Identity,
  loadRegexEngine,
  type MappingInput,
  mapGrants,
} from '../../shared/mapping/index.js';
import { type BenchSuite, type Figure, printFigures, printResults, runCase } from './harness.js';

const RULES = 1000;
const GROUPS = 200;

const identity: Identity = {
  idp: 'okta',
  issuer: 'http://www.okta.com/exk1',
  subject: '00u1abcdEFGH',
  claims: {
    groups: Array.from({ length: GROUPS }, (_, i) => `team-${String(i).padStart(3, '0')}`),
    email: ['jane.doe@example.com'],
    username: ['jdoe'],
    department: ['platform'],
    costCenter: ['cc-4711'],
    title: ['Staff Engineer'],
    country: ['DE'],
    employeeType: ['full-time'],
    manager: ['00u9zyxw'],
    locale: ['de-DE'],
    amr: ['pwd', 'mfa'],
  },
};

const roleArn = (i: number) => `arn:aws:iam::${String(100_000_000_000 + (i % 40))}:role/Role-${i}`;

/**
 * Rules come in blocks of 20 that cycle through the operators; every tenth block matches (100
 * of 1,000 rules). Matching rules test a group or value the identity has, the others one it
 * lacks, so every operator does real work either way. Every hundredth rule is a scoped deny.
 */
const buildRule = (i: number): Rule => {
  const hit = Math.floor(i / 20) % 10 === 0;
  const group = hit ? `team-${String(i % GROUPS).padStart(3, '0')}` : `other-${i}`;
  const kind = i % 20;
  const when =
    kind < 14
      ? [{ claim: 'groups', op: 'contains', value: group, ignoreCase: i % 7 === 0 }]
      : kind < 16
        ? [
            { claim: 'department', op: 'equals', value: hit ? 'platform' : 'sales' },
            { claim: 'groups', op: 'contains', value: group },
          ]
        : kind < 17
          ? [{ claim: 'email', op: 'startsWith', value: hit ? 'jane.' : `x${i}.` }]
          : kind < 18
            ? [{ claim: 'country', op: 'equals', value: hit ? 'de' : 'fr', case: 'fold' }]
            : [
                {
                  claim: 'groups',
                  op: 'matches',
                  value: hit ? `team-0*${i % GROUPS}` : `other-\\d+-${i}`,
                  case: i % 3 === 0 ? 'fold' : 'exact',
                },
              ];
  return RuleSchema.parse(
    i % 100 === 15
      ? {
          id: `deny-${i}`,
          priority: i,
          effect: 'deny',
          // Deny conditions: any value, folded, holding on a missing claim.
          when: [{ claim: 'groups', op: 'equals', value: group, quantifier: 'any' }],
          roleArns: [roleArn(i + 1)],
        }
      : {
          id: `rule-${String(i).padStart(4, '0')}`,
          priority: i,
          effect: 'allow',
          when,
          grant: {
            roleArn: roleArn(i),
            sessionName: '{claims.email}',
            sourceIdentity: '{claims.username}',
            sessionTags: {
              team: '{claims.department}',
              costCenter: '{claims.costCenter}',
              country: { value: '{claims.country}', multiValue: 'reject' },
              auth: { value: '{claims.amr}', separator: '+' },
            },
            transitiveTagKeys: ['team'],
          },
        },
  );
};

const input: MappingInput = {
  identity,
  rules: Array.from({ length: RULES }, (_, i) => buildRule(i)),
  gatewayRules: [
    RuleSchema.parse({
      id: 'contractors',
      priority: 1,
      effect: 'deny',
      when: [{ claim: 'employeeType', op: 'equals', value: 'contractor', quantifier: 'any' }],
      roleArns: [roleArn(3)],
    }) as DenyRule,
  ],
  defaults: { sessionDurationSeconds: 3600, sessionName: '{subject}' },
  accounts: [{ id: '100000000000', alias: 'prod' }],
  regex: await loadRegexEngine(),
};

/** The pattern the old bounded-regex check admitted (13 s in V8 on the value below). */
const CATASTROPHIC: MappingInput = {
  identity: { ...identity, claims: { email: [`${'a'.repeat(41)}!`] } },
  rules: [
    RuleSchema.parse({
      id: 'email',
      priority: 1,
      effect: 'allow',
      when: [{ claim: 'email', op: 'matches', value: '([a-z0-9]+[._-]?)+@example\\.com' }],
      grant: { roleArn: roleArn(1) },
    }),
  ],
  defaults: input.defaults,
  regex: input.regex as NonNullable<MappingInput['regex']>,
};

/** Fresh processes per bundle: import times on a shared machine swing ±20 ms, so many. */
const RUNS = 41;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const timeNode = (args: string[]) => {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0)
    throw new Error(`node ${args.join(' ')}: ${r.stderr.toString().slice(0, 300)}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
};

/**
 * What the RE2 engine costs a function: each entry bundled as the functions are (minified
 * CommonJS, infra/cdk/function-bundling.ts), then `require`d in fresh processes, round-robin with
 * `node -e 0`, medians of RUNS: shared/mapping without re2js at all, as the functions get it
 * (re2js inside the bundle, evaluated only when a rule set needs it), and with the engine loaded
 * (what the first sign-in with a `matches` rule pays once per container).
 */
const engineFigures = async (): Promise<Figure[]> => {
  const dir = mkdtempSync(join(tmpdir(), 'fedgate-re2-'));
  const mappingEntry = join(process.cwd(), 'shared/mapping/index.ts');
  const stub = join(dir, 're2js-stub.mjs');
  writeFileSync(stub, 'export const RE2JS = {};\n');
  const mapping = `export * from ${JSON.stringify(mappingEntry)};`;
  const entries: Record<string, { source: string; alias?: Record<string, string> }> = {
    'mapping without re2js (stubbed out)': { source: mapping, alias: { re2js: stub } },
    'mapping (re2js bundled, not loaded)': { source: mapping },
    'mapping, re2js loaded': {
      source: `${mapping}\nimport { loadRegexEngine as l } from ${JSON.stringify(mappingEntry)};\nl().then((r) => r.compile('a+', false));`,
    },
  };
  const files: Record<string, string> = {};
  const sizes: Record<string, number> = {};
  try {
    for (const [name, { source, alias = {} }] of Object.entries(entries)) {
      const entry = join(process.cwd(), `.bench-re2-${name.replace(/\W+/g, '-')}.mts`);
      writeFileSync(entry, source);
      const outfile = join(dir, `${name.replace(/\W+/g, '-')}.cjs`);
      try {
        await build({ ...functionEsbuildOptions(''), alias, entryPoints: [entry], outfile });
      } finally {
        rmSync(entry, { force: true });
      }
      files[name] = outfile;
      sizes[name] = statSync(outfile).size / 1024;
    }
    const names = Object.keys(files);
    const samples = [[], ...names.map(() => [])] as number[][];
    for (let i = 0; i < RUNS; i++) {
      samples[0]?.push(timeNode(['-e', '0']));
      for (const [j, name] of names.entries()) {
        samples[j + 1]?.push(timeNode([files[name] as string]));
      }
    }
    const baseline = median(samples[0] as number[]);
    const fastestBaseline = Math.min(...(samples[0] as number[]));
    return names.flatMap((name, j) => [
      { name: `${name}: bundle`, value: sizes[name] as number, unit: 'KiB' },
      {
        name: `${name}: import over node -e 0`,
        value: median(samples[j + 1] as number[]) - baseline,
        unit: 'ms',
        // The fastest runs are the least disturbed by other processes: compare them too.
        note: `median of ${RUNS}, round-robin; fastest ${(Math.min(...(samples[j + 1] as number[])) - fastestBaseline).toFixed(1)} ms over the fastest node -e 0`,
      },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const note = `${RULES} rules, ${GROUPS} groups`;

export const suite: BenchSuite = {
  title: 'mapping',
  run: async () => {
    const mapper = createMapper(input);
    const sample = mapper.mapGrants(identity);
    const results = [
      await runCase({
        name: 'createMapper (compile)',
        iterations: 5,
        fn: () => createMapper(input),
        note,
      }),
      await runCase({
        name: 'mapper.mapGrants',
        iterations: 20,
        fn: () => mapper.mapGrants(identity),
        note,
      }),
      await runCase({
        name: 'mapGrants (one-shot)',
        iterations: 5,
        fn: () => mapGrants(input),
        note,
      }),
      await runCase({
        name: 'mapper.explain',
        iterations: 5,
        fn: () => mapper.explain(identity),
        note,
      }),
      await runCase({ name: 'explain (one-shot)', iterations: 5, fn: () => explain(input), note }),
      await runCase({
        name: 'catastrophic pattern, 42-character value: mapGrants',
        iterations: 20,
        fn: () => mapGrants(CATASTROPHIC),
        note: 'RE2; 13 s in V8 before',
      }),
      await runCase({
        name: 'catastrophic pattern, 42-character value: explain',
        iterations: 20,
        fn: () => explain(CATASTROPHIC),
        note: 'RE2; 109 s in V8 before',
      }),
    ];
    printResults('mapping', results);
    const [, compiled, oneShot, explained] = results as [unknown, ...{ median: number }[]];
    const perSecond = (ms: number) => RULES / (ms / 1000);
    printFigures('mapping: derived', [
      {
        name: 'rules evaluated per second (mapper.mapGrants)',
        value: perSecond(compiled?.median ?? Number.NaN),
        unit: 'rules/s',
      },
      {
        name: 'rules evaluated per second (mapGrants one-shot)',
        value: perSecond(oneShot?.median ?? Number.NaN),
        unit: 'rules/s',
      },
      {
        name: 'rules explained per second (mapper.explain)',
        value: perSecond(explained?.median ?? Number.NaN),
        unit: 'rules/s',
      },
      {
        name: 'grants issued per mapping',
        value: sample.grants.length,
        unit: 'grants',
        note: `${sample.problems.length} problems, denied by ${sample.deniedBy.length} rules`,
      },
    ]);
    printFigures('mapping: what the RE2 engine costs a function bundle', await engineFigures());
  },
};
