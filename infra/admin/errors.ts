/**
 * The admin CLI's own failures. Exit codes: 0 ok, 1 a failed check, validation or operation,
 * 2 a usage error (unknown command or option, missing or conflicting arguments).
 */

/** The command line itself is wrong: exit 2, with the command's usage. */
export class UsageError extends Error {
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** The command ran but refused or failed: exit 1, with a stable snake_case code. */
export class CliFailure extends Error {
  readonly code: string;
  /** More fields for the `--json` error object (e.g. the plan a refused write would apply). */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(
    code: string,
    message: string,
    opts?: ErrorOptions & { details?: Record<string, unknown> },
  ) {
    super(message, opts);
    this.name = 'CliFailure';
    this.code = code;
    this.details = opts?.details ?? {};
  }
}
