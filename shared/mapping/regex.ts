/**
 * Most instructions an RE2 program may have (RE2JS `programSize()`): matching costs time linear in
 * program size × value length, and values are at most MAX_MATCHED_VALUE_LENGTH characters, so
 * this bounds the work of one test. `[\p{L}\p{N}]{1,1000}` is about 2,000.
 */
export const MAX_PROGRAM_SIZE = 4096;

/** A compiled `matches` pattern: whether a whole value matches it. */
export interface CompiledPattern {
  fullMatch(value: string): boolean;
}

/**
 * The regular-expression engine `matches` conditions run on: RE2 semantics, so matching takes
 * time linear in the value's length whatever the pattern (no backtracking).
 */
export interface RegexEngine {
  /**
   * Compiles a pattern for full-value matching, case-insensitively (RE2's simple case folding)
   * when `ignoreCase`. Returns why it cannot be used when RE2 refuses it or it is too large.
   */
  compile(pattern: string, ignoreCase: boolean): CompiledPattern | string;
}

/**
 * Loads the RE2 engine (re2js, pure JavaScript). It is imported on first use rather than with
 * the mapping module: it adds ~148 KiB to a bundle, which costs ~5 ms of parse at a cold start,
 * and evaluating it ~9 ms more, which most functions never pay since most rule sets have no
 * `matches` condition (`npm run bench -- mapping`; figures in test/bench/README.md). The module
 * system keeps the import, so later calls cost nothing.
 * @example const mapper = createMapper({ rules, defaults, regex: await loadRegexEngine() });
 */
export const loadRegexEngine = async (): Promise<RegexEngine> => {
  const { RE2JS } = await import('re2js');
  return {
    compile(pattern, ignoreCase) {
      try {
        const re = RE2JS.compile(pattern, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
        const size = re.programSize();
        if (size > MAX_PROGRAM_SIZE) {
          return `the pattern compiles to ${size} instructions, more than ${MAX_PROGRAM_SIZE}`;
        }
        return { fullMatch: (value) => re.testExact(value) };
      } catch (err) {
        return `RE2 refuses it: ${(err as Error).message}`;
      }
    },
  };
};
