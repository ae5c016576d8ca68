import fc from 'fast-check';

/**
 * Hostile claim values, shared by the mapping properties: what an IdP claim an attacker controls
 * (a display name, a department, a group name) can hold. XML breakers, control and format
 * characters, NUL, lone surrogates, ARN fragments, placeholders, confusables, huge strings.
 */
export const HOSTILE_ATOMS = [
  '</saml:AttributeValue>',
  '</saml2:AttributeValue><saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">',
  ']]>',
  '<![CDATA[',
  '&amp;',
  '&#0;',
  '"',
  "'",
  '\u0000',
  '\u0001',
  '\t',
  '\r\n',
  '\u0085',
  '\u2028',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\ufffe',
  'arn:aws:iam::111122223333:role/Admin',
  'arn:aws:iam::111122223333:role/Admin,arn:aws:iam::111122223333:saml-provider/evil',
  ',',
  'aws:',
  'AWS:PrincipalTag',
  ':',
  '/',
  '=',
  '+',
  '@',
  '-',
  '.',
  '_',
  ' ',
  '{subject}',
  '{claims.groups}',
  '{{',
  '}}',
  'é',
  'e\u0301',
  'ﬁ',
  'İ',
  'ß',
  'K',
  'ｃ',
  'а',
  '😀',
  '٣',
  'eng',
  'ENG',
  'aws-admins',
  'admin',
] as const;

const atom = fc.constantFrom(...HOSTILE_ATOMS);

/** One claim value: hostile atoms glued together, arbitrary code points, or a huge string. */
export const hostileString = fc.oneof(
  { weight: 5, arbitrary: fc.array(atom, { maxLength: 4 }).map((xs) => xs.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.@+=,-]{0,70}$/) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(atom, fc.integer({ min: 20, max: 3000 }))
      .map(([a, n]) => a.repeat(Math.ceil(n / Math.max(a.length, 1)))),
  },
);

/** Claim names rules and templates refer to (and a few that must not reach the prototype). */
export const CLAIM_NAMES = ['groups', 'email', 'dept', 'n', '__proto__', 'constructor'] as const;

/** Ordinary values, so that rules match and grants render often enough to be checked. */
export const BENIGN_VALUES = [
  'eng',
  'aws-admins',
  'aws-developers',
  'jane.doe@corp.example',
  'Ops',
  'José García',
  'a b',
  '00u1fedgateJANE',
] as const;

/** A claim value: ordinary or hostile, about half each. */
export const claimValue = fc.oneof(fc.constantFrom(...BENIGN_VALUES), hostileString);
/** Mostly one value (the shape of email, department…), sometimes several or none. */
const claimValues = fc.oneof(
  { weight: 3, arbitrary: claimValue.map((v) => [v]) },
  { weight: 2, arbitrary: fc.array(claimValue, { maxLength: 4 }) },
);

/**
 * Claims: each of {@link CLAIM_NAMES} present or not, plus a few arbitrary names (own
 * properties, even `__proto__`, as the SAML/OIDC claim readers produce them).
 */
export const hostileClaims = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...CLAIM_NAMES), claimValues), { maxLength: 6 }),
    fc.array(fc.tuple(hostileString, claimValues), { maxLength: 2 }),
  )
  .map(([known, other]) => {
    const claims: Record<string, string[]> = {};
    for (const [name, values] of [...known, ...other]) {
      Object.defineProperty(claims, name, { value: values, enumerable: true, writable: true });
    }
    return claims as Readonly<Record<string, readonly string[]>>;
  });
