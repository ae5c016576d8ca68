import { checkTagKey, checkTagValue, MAX_SESSION_TAGS } from '../aws-rules.js';
import type { SessionTagSpec } from '../config/index.js';
import {
  type ClaimEncoder,
  compileTemplate,
  isTemplateFailure,
  renderTemplate,
  type Template,
} from './template.js';
import type { Identity, SessionTag } from './types.js';

/** A tag spec with the schema's defaults applied to the short (string) form. */
interface TagSpec {
  key: string;
  template: Template;
  multiValue: 'join' | 'first' | 'reject';
  separator: string;
  optional: boolean;
  /** Templated from `{subject}`: the value is prefixed with `<idp>.`, as the source identity is. */
  namespaced: boolean;
}

/** What a grant's session tags render to for one identity. */
export interface RenderedTags {
  tags: SessionTag[];
  /** The configured transitive keys whose tag was emitted, spelled as the emitted tag key. */
  transitiveTagKeys: string[];
  /** One reason per tag that refused the grant; empty when every tag rendered or was omitted. */
  problems: string[];
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
      specs.push({ key, template, multiValue, separator, optional, namespaced });
    } catch (err) {
      problems.push(`tag ${key}: ${(err as Error).message}`);
    }
  }

  return {
    problems,
    render: (identity) => {
      const tags: SessionTag[] = [];
      const failures: string[] = [];
      for (const spec of specs) {
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
      const emitted = new Map(tags.map((t) => [t.key.toLowerCase(), t.key]));
      const transitive = new Set<string>();
      for (const key of transitiveTagKeys) {
        const emittedKey = emitted.get(key.toLowerCase());
        if (emittedKey !== undefined) transitive.add(emittedKey);
      }
      return { tags, transitiveTagKeys: [...transitive], problems: failures };
    },
  };
};
