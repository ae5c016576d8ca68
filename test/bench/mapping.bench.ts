/**
 * The mapping engine under a large rule set: 1,000 rules (mostly `contains` on groups, with
 * equals/startsWith/notEquals/matches mixed in, about 10% matching) against an identity with 200
 * groups and 10 other claims. Compares the one-shot functions (compile per call) with a compiled
 * mapper (what a sign-in path keeps), for mapGrants and explain.
 */
import { type Rule, RuleSchema } from '../../shared/config/index.js';
import {
  createMapper,
  explain,
  type Identity,
  type MappingInput,
  mapGrants,
} from '../../shared/mapping/index.js';
import { type BenchSuite, printFigures, printResults, runCase } from './harness.js';

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
            ? [{ claim: 'country', op: 'notEquals', value: hit ? 'FR' : 'DE' }]
            : [
                {
                  claim: 'groups',
                  op: 'matches',
                  value: hit ? `team-0*${i % GROUPS}` : `other-\\d+-${i}`,
                  ignoreCase: i % 3 === 0,
                },
              ];
  return RuleSchema.parse(
    i % 100 === 15
      ? { id: `deny-${i}`, priority: i, effect: 'deny', when, roleArns: [roleArn(i + 1)] }
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
  defaults: { sessionDurationSeconds: 3600, sessionName: '{subject}' },
  accounts: [{ id: '100000000000', alias: 'prod' }],
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
  },
};
