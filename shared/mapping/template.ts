import { readClaim } from './claims.js';
import type { Identity } from './types.js';

/** One piece of a compiled template: literal text or a placeholder. */
export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'claim'; readonly claim: string }
  | { readonly kind: 'subject' | 'idp' | 'issuer' };

/** A template parsed once into parts, rendered many times. */
export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

/** Why a template could not be rendered for an identity. */
export interface TemplateFailure {
  /** `missing`: a referenced claim is absent or empty; `refused`: the encoder refused its values. */
  readonly kind: 'missing' | 'refused';
  readonly claim: string;
  readonly reason: string;
}

/**
 * Turns one claim's values (one or more) into the text a placeholder stands for, or refuses them.
 * Each field decides: a session name needs exactly one value, a session tag may join several.
 */
export type ClaimEncoder = (claim: string, values: readonly string[]) => string | TemplateFailure;

const MAX_CLAIM_NAME = 256;
const SYNTAX_HELP =
  'use {claims.<name>}, {directory.<name>}, {subject}, {idp} or {issuer} ({{ and }} for literal braces)';

const placeholder = (body: string): TemplatePart | undefined => {
  if (body === 'subject' || body === 'idp' || body === 'issuer') return { kind: body };
  // `{directory.x}` reads the directory's `directory.x` (shared/mapping/directory.ts), which no
  // token claim can supply.
  if (body.startsWith('directory.')) {
    const name = body.slice('directory.'.length);
    if (name.length >= 1 && name.length <= MAX_CLAIM_NAME - 10 && !name.includes('{')) {
      return { kind: 'claim', claim: body };
    }
  }
  if (body.startsWith('claims.')) {
    const claim = body.slice('claims.'.length);
    // Same bounds as the config schema's TEMPLATE_PLACEHOLDER: 1-256 characters, no braces.
    if (claim.length >= 1 && claim.length <= MAX_CLAIM_NAME && !claim.includes('{')) {
      return { kind: 'claim', claim };
    }
  }
  return undefined;
};

/**
 * Parses a template: `{claims.<name>}`, `{directory.<name>}`, `{subject}`, `{idp}` and `{issuer}` are placeholders,
 * `{{` and `}}` are literal braces, everything else is literal text.
 * @throws SyntaxError for an unknown placeholder or a lone brace (the config schema refuses both
 *   first, so this only fires for rules that bypassed it).
 * @example compileTemplate('{claims.email}-{{x}}').parts
 *   // [{ kind: 'claim', claim: 'email' }, { kind: 'text', text: '-{x}' }]
 */
export const compileTemplate = (source: string): Template => {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    const ch = source.charAt(i);
    const next = source.charAt(i + 1);
    if (ch === '{' && next === '{') {
      text += '{';
      i += 2;
    } else if (ch === '}' && next === '}') {
      text += '}';
      i += 2;
    } else if (ch === '{') {
      const end = source.indexOf('}', i + 1);
      const part = end === -1 ? undefined : placeholder(source.slice(i + 1, end));
      if (part === undefined) {
        throw new SyntaxError(`template has an unknown placeholder at ${i}: ${SYNTAX_HELP}`);
      }
      if (text !== '') parts.push({ kind: 'text', text });
      text = '';
      parts.push(part);
      i = end + 1;
    } else if (ch === '}') {
      throw new SyntaxError(`template has a lone "}" at ${i}: ${SYNTAX_HELP}`);
    } else {
      text += ch;
      i += 1;
    }
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return { source, parts };
};

/** Narrows a render result to a failure. */
export const isTemplateFailure = (r: string | TemplateFailure): r is TemplateFailure =>
  typeof r !== 'string';

/**
 * Renders a compiled template for an identity. Values are substituted once and never re-parsed,
 * so a claim value that looks like a placeholder (`{claims.x}`) stays literal text.
 * @example renderTemplate(compileTemplate('{subject}@{idp}'), identity, single) // '00u1@okta'
 */
export const renderTemplate = (
  template: Template,
  identity: Identity,
  encode: ClaimEncoder,
): string | TemplateFailure => {
  let out = '';
  for (const part of template.parts) {
    switch (part.kind) {
      case 'text':
        out += part.text;
        break;
      case 'subject':
        out += identity.subject;
        break;
      case 'idp':
        out += identity.idp;
        break;
      case 'issuer':
        out += identity.issuer;
        break;
      case 'claim': {
        const values = readClaim(identity, part.claim);
        if (values === undefined) {
          return { kind: 'missing', claim: part.claim, reason: `claim ${part.claim} is missing` };
        }
        const encoded = encode(part.claim, values);
        if (isTemplateFailure(encoded)) return encoded;
        out += encoded;
        break;
      }
    }
  }
  return out;
};

/**
 * The encoder for fields that hold one value (session name, source identity): a claim with more
 * than one value is refused rather than picked from, since any pick would be arbitrary.
 */
export const singleValue: ClaimEncoder = (claim, values) =>
  values.length === 1
    ? (values[0] as string)
    : {
        kind: 'refused',
        claim,
        reason: `claim ${claim} has ${values.length} values and this field takes one`,
      };
