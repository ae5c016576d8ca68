import type { GatewayError } from '../http/errors.js';
import { SamlStructureInvalidError } from './errors.js';

/**
 * Characters no identity value may carry: controls (Cc, including TAB/CR/LF), format characters
 * (Cf: zero-width joiners/spaces, bidi overrides and isolates, soft hyphen, BOM), lone surrogates
 * (Cs, reachable through character references) and the Unicode line/paragraph separators. They
 * make two values that look alike compare unequal, or one value display as another.
 */
const FORBIDDEN_VALUE_CHARS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * Checks one identity value (NameID, attribute name or value): length 0..max (1..max when
 * `nonEmpty`), no forbidden characters. Character references (`&#x41;`) and predefined entities
 * were decoded by the parser and are checked as the characters they stand for. No Unicode
 * normalization: values are compared exactly, so a confusable never equals the ASCII value.
 * @throws the error built by `fail`.
 */
export const checkValue = (
  value: string,
  what: string,
  { max, nonEmpty }: { max: number; nonEmpty: boolean },
  fail: (detail: string) => GatewayError,
): string => {
  if (nonEmpty && value.length === 0) throw fail(`${what} is empty`);
  if (value.length > max) throw fail(`${what} is longer than ${max} characters`);
  const bad = FORBIDDEN_VALUE_CHARS.exec(value);
  if (bad) {
    throw fail(
      `${what} contains U+${(bad[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`,
    );
  }
  return value;
};

// SAML Core §1.3.3: xs:dateTime in UTC, "Z" and no other time zone.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/**
 * Parses a SAML time attribute (UTC xs:dateTime) into epoch seconds (fractional), or `undefined`
 * when the attribute is absent.
 * @throws saml_structure_invalid (SamlStructureInvalidError) for anything but `YYYY-MM-DDThh:mm:ss[.f]Z`.
 */
export const parseInstant = (value: string | undefined, what: string): number | undefined => {
  if (value === undefined) return undefined;
  const m = DATE_TIME.exec(value);
  if (!m) throw new SamlStructureInvalidError(`${what} is not a UTC xs:dateTime`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== s
  ) {
    throw new SamlStructureInvalidError(`${what} is not a valid date and time`);
  }
  return ms / 1000 + (m[7] ? Number(`0${m[7]}`) : 0);
};
