import { checkTagKey, checkTagValue, MAX_SESSION_TAGS, TAG_VALUE_MAX } from '../aws-rules.js';
import type { SessionTagSpec, TagFit } from '../config/index.js';
import { readClaim } from './claims.js';
import type { CompiledPattern, RegexEngine } from './regex.js';
import {
  type ClaimEncoder,
  compileTemplate,
  isTemplateFailure,
  renderTemplate,
  type Template,
} from './template.js';
import type { Identity, SessionTag } from './types.js';

/**
 * Which values of a claim the rules mention (`equals` values, `startsWith` prefixes): what a tag
 * with `fit.onlyMentioned` keeps. Built once per rule set.
 */
export type MentionedValues = (claim: string, value: string) => boolean;

/** What the budget policy of one tag did (explain shows it: values included, as it is for operators). */
export interface TagFitNote {
  key: string;
  /** The keys emitted for it: `[key]`, or the numbered keys it was spread over. */
  emittedKeys: readonly string[];
  /** Values kept (after short names). */
  kept: number;
  /** Each value left out, and the policy that left it out. */
  dropped: readonly { value: string; reason: string }[];
  /** Values replaced by their group's short name. */
  shortened: number;
}

interface FitPlan {
  fit: TagFit;
  claim: string;
  pattern: CompiledPattern | string | undefined;
}

/** A tag spec with the schema's defaults applied to the short (string) form. */
interface TagSpec {
  key: string;
  template: Template;
  multiValue: 'join' | 'first' | 'reject';
  separator: string;
  optional: boolean;
  /** Templated from `{subject}`: the value is prefixed with `<idp>.`, as the source identity is. */
  namespaced: boolean;
  /** The budget policy of a one-placeholder multi-valued tag. */
  plan?: FitPlan;
}

/** What a grant's session tags render to for one identity. */
export interface RenderedTags {
  tags: SessionTag[];
  /** The configured transitive keys whose tag was emitted, spelled as the emitted tag key. */
  transitiveTagKeys: string[];
  /** One reason per tag that refused the grant; empty when every tag rendered or was omitted. */
  problems: string[];
  /** What the budget policy did, per tag that has one. */
  fitNotes: TagFitNote[];
}

/** A grant's session tags prepared once; `problems` holds what is wrong with the config itself. */
export interface CompiledTags {
  readonly problems: readonly string[];
  render(identity: Identity): RenderedTags;
}

/** Code-unit order (`<`), not `localeCompare`: the same on every machine and every Node version. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Encodes one claim's values into one tag value (session tags are single-valued): values are
 * deduplicated and sorted by code unit, then `join` joins them with the separator, `first` takes
 * the first and `reject` refuses more than one.
 */
const tagEncoder =
  (spec: TagSpec): ClaimEncoder =>
  (claim, values) => {
    const distinct = values.length === 1 ? values : [...new Set(values)].sort(byCodeUnit);
    if (spec.multiValue === 'join') {
      // Checked for single values too: ["a:b"] and ["a", "b"] would both encode as "a:b", and an
      // encoding that two different group lists share could match another person's ABAC policy.
      if (distinct.some((v) => v.includes(spec.separator))) {
        return {
          kind: 'refused',
          claim,
          reason: `a value of claim ${claim} contains the separator ${JSON.stringify(spec.separator)}, so the join would be ambiguous (use another separator, or multiValue "reject" for a single-valued claim)`,
        };
      }
      return distinct.join(spec.separator);
    }
    if (spec.multiValue === 'reject' && distinct.length > 1) {
      return {
        kind: 'refused',
        claim,
        reason: `claim ${claim} has ${distinct.length} distinct values and multiValue is "reject"`,
      };
    }
    return distinct[0] as string;
  };

/**
 * Prepares a grant's session tags. Rendering rules, per tag:
 * - a referenced claim is missing: `optional` omits the tag, otherwise the grant fails;
 * - each multi-valued claim placeholder is encoded by the tag's `multiValue` (`join`, the default
 *   for the short string form with separator `:`; `first`; `reject`), also inside longer text;
 * - a tag whose template has `{subject}` identifies the person: its value is `<idp>.` + the
 *   rendered text, so that two IdPs never produce the same subject tag;
 * - the final value must pass `checkTagValue` (≤ 256 characters, tag charset) or the grant fails:
 *   tags drive ABAC, so a value is never truncated or altered;
 * - transitive keys are kept only for tags that were emitted.
 *
 * Keys, the 50-tag limit and case-insensitive key uniqueness are rechecked here (the schema checks
 * them first) so every grant the engine issues holds to AWS's rules whatever its rules' origin.
 */
export const compileSessionTags = (
  sessionTags: Readonly<Record<string, SessionTagSpec>>,
  transitiveTagKeys: readonly string[],
  { regex, mentioned }: { regex?: RegexEngine; mentioned?: MentionedValues } = {},
): CompiledTags => {
  const problems: string[] = [];
  const specs: TagSpec[] = [];
  const seen = new Set<string>();
  const keys = Object.keys(sessionTags);
  if (keys.length > MAX_SESSION_TAGS) {
    problems.push(`${keys.length} session tags configured, at most ${MAX_SESSION_TAGS}`);
  }
  for (const key of keys) {
    const keyProblem = checkTagKey(key);
    if (keyProblem) problems.push(`tag ${key}: ${keyProblem}`);
    if (seen.has(key.toLowerCase())) {
      problems.push(`tag ${key}: tag keys are case-insensitive in AWS and this one is repeated`);
    }
    seen.add(key.toLowerCase());
    const raw = sessionTags[key] as SessionTagSpec;
    // The short form takes the long form's schema defaults: join with ":", required.
    const spec =
      typeof raw === 'string'
        ? { value: raw, multiValue: 'join' as const, separator: ':', optional: false }
        : raw;
    try {
      const { multiValue, separator, optional } = spec;
      const template = compileTemplate(spec.value);
      const namespaced = template.parts.some((p) => p.kind === 'subject');
      const fit = typeof raw === 'string' ? undefined : raw.fit;
      const only = template.parts.length === 1 ? template.parts[0] : undefined;
      let plan: FitPlan | undefined;
      if (fit !== undefined) {
        if (only?.kind !== 'claim') {
          problems.push(`tag ${key}: fit needs a template of one placeholder`);
        } else {
          const pattern =
            fit.pattern === undefined
              ? undefined
              : regex === undefined
                ? 'no regex engine was loaded'
                : regex.compile(fit.pattern, false);
          if (typeof pattern === 'string') problems.push(`tag ${key}: fit.pattern: ${pattern}`);
          plan = { fit, claim: only.claim, pattern };
        }
      }
      specs.push({
        key,
        template,
        multiValue,
        separator,
        optional,
        namespaced,
        ...(plan ? { plan } : {}),
      });
    } catch (err) {
      problems.push(`tag ${key}: ${(err as Error).message}`);
    }
  }

  return {
    problems,
    render: (identity) => {
      const tags: SessionTag[] = [];
      const failures: string[] = [];
      const fitNotes: TagFitNote[] = [];
      const spreadFrom = new Map<string, string>();
      for (const spec of specs) {
        if (spec.plan) {
          const fitted = renderFitted(spec, spec.plan, identity, mentioned);
          if (fitted.kind !== 'ok') {
            if (!(fitted.kind === 'missing' && spec.optional)) {
              failures.push(`tag ${spec.key}: ${fitted.reason}`);
            }
            continue;
          }
          fitNotes.push(fitted.note);
          for (const tag of fitted.tags) {
            tags.push(tag);
            spreadFrom.set(tag.key.toLowerCase(), spec.key.toLowerCase());
          }
          continue;
        }
        const rendered = renderTemplate(spec.template, identity, tagEncoder(spec));
        if (isTemplateFailure(rendered)) {
          if (rendered.kind === 'missing' && spec.optional) continue;
          failures.push(`tag ${spec.key}: ${rendered.reason}`);
          continue;
        }
        // A tag that carries the subject identifies the person: two IdPs must not share one.
        const value = spec.namespaced ? `${identity.idp}.${rendered}` : rendered;
        // Reject, never truncate or substitute: an altered tag could match another principal's policy.
        const valueProblem = checkTagValue(value);
        if (valueProblem) failures.push(`tag ${spec.key}: ${valueProblem}`);
        else tags.push({ key: spec.key, value });
      }
      // Numbered tags share the 50-tag budget and key space with every other tag of the grant
      // (configured keys are checked once, at compile time).
      if (spreadFrom.size > 0) {
        const keys = new Map<string, string>();
        for (const t of tags) {
          const folded = t.key.toLowerCase();
          const other = keys.get(folded);
          if (other !== undefined && (spreadFrom.has(folded) || spreadFrom.has(other))) {
            failures.push(`tag ${t.key}: the key is emitted twice (a numbered tag of fit.spread)`);
          }
          keys.set(folded, folded);
        }
        if (tags.length > MAX_SESSION_TAGS) {
          failures.push(
            `${tags.length} session tags would be emitted, at most ${MAX_SESSION_TAGS}`,
          );
        }
      }
      const emitted = new Map(tags.map((t) => [t.key.toLowerCase(), t.key]));
      const transitive = new Set<string>();
      for (const key of transitiveTagKeys) {
        const emittedKey = emitted.get(key.toLowerCase());
        if (emittedKey !== undefined) transitive.add(emittedKey);
        for (const t of tags) {
          if (spreadFrom.get(t.key.toLowerCase()) === key.toLowerCase()) transitive.add(t.key);
        }
      }
      return { tags, transitiveTagKeys: [...transitive], problems: failures, fitNotes };
    },
  };
};

type Fitted =
  | { kind: 'ok'; tags: SessionTag[]; note: TagFitNote }
  | { kind: 'missing' | 'refused'; reason: string };

/**
 * The budget policy of one tag (config `fit`, shared/mapping/README.md §7a), deterministic:
 * distinct values sorted by code unit; kept by `prefixes`, `pattern` and `onlyMentioned` (each
 * value dropped is noted with the reason); replaced by their short names; joined; then one tag,
 * or with `spread` as many numbered tags as needed, greedily filled in order, never splitting a
 * value. Refused rather than truncated: an ambiguous separator, a value over 256 characters, more
 * numbered tags than `maxTags`, or a value outside the tag charset.
 */
const renderFitted = (
  spec: TagSpec,
  plan: FitPlan,
  identity: Identity,
  mentioned: MentionedValues | undefined,
): Fitted => {
  const { fit, claim } = plan;
  const values = readClaim(identity, claim);
  if (values === undefined) return { kind: 'missing', reason: `claim ${claim} is missing` };
  const dropped: { value: string; reason: string }[] = [];
  const kept: string[] = [];
  for (const value of [...new Set(values)].sort(byCodeUnit)) {
    if (fit.prefixes && !fit.prefixes.some((p) => value.startsWith(p))) {
      dropped.push({ value, reason: `starts with none of fit.prefixes` });
    } else if (
      plan.pattern !== undefined &&
      (typeof plan.pattern === 'string' || value.length > 1024 || !plan.pattern.fullMatch(value))
    ) {
      dropped.push({ value, reason: 'does not match fit.pattern' });
    } else if (fit.onlyMentioned && !mentioned?.(claim, value)) {
      dropped.push({ value, reason: `no rule of this IdP compares ${claim} with it` });
    } else {
      kept.push(value);
    }
  }
  let shortened = 0;
  const mapped = kept.map((value) => {
    const short = fit.shortNames ? identity.shortNames?.get(value) : undefined;
    if (short === undefined) return value;
    shortened += 1;
    return short;
  });
  const distinct = [...new Set(mapped)].sort(byCodeUnit);
  if (distinct.length === 0) {
    return {
      kind: 'missing',
      reason: `every value of claim ${claim} was left out by the tag's fit policy`,
    };
  }
  if (distinct.some((v) => v.includes(spec.separator))) {
    return {
      kind: 'refused',
      reason: `a value of claim ${claim} contains the separator ${JSON.stringify(spec.separator)}, so the join would be ambiguous`,
    };
  }
  const chunks: string[] = [];
  let current = '';
  for (const v of distinct) {
    if (v.length > TAG_VALUE_MAX) {
      return {
        kind: 'refused',
        reason: `a value of claim ${claim} is longer than ${TAG_VALUE_MAX} characters (no policy splits a value)`,
      };
    }
    const next = current === '' ? v : `${current}${spec.separator}${v}`;
    if (next.length <= TAG_VALUE_MAX) current = next;
    else {
      chunks.push(current);
      current = v;
    }
  }
  chunks.push(current);
  const limit = fit.spread?.maxTags ?? 1;
  if (chunks.length > limit) {
    return {
      kind: 'refused',
      reason: fit.spread
        ? `${distinct.length} values need ${chunks.length} tags of ${TAG_VALUE_MAX} characters, more than fit.spread.maxTags ${limit}`
        : `${distinct.length} values joined are longer than ${TAG_VALUE_MAX} characters (filter them or spread them: fit.spread)`,
    };
  }
  const tags = chunks.map((value, i) => ({
    key: fit.spread ? `${spec.key}${i + 1}` : spec.key,
    value,
  }));
  for (const tag of tags) {
    const why = checkTagValue(tag.value);
    if (why) return { kind: 'refused', reason: why };
  }
  return {
    kind: 'ok',
    tags,
    note: {
      key: spec.key,
      emittedKeys: tags.map((t) => t.key),
      kept: distinct.length,
      dropped,
      shortened,
    },
  };
};
