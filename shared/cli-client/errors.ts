/**
 * How the fedgate CLI ends (documented in README.md): scripts and `credential_process` callers
 * can tell "sign in again" from "the network is down" without reading the message.
 */
export const EXIT = Object.freeze({
  ok: 0,
  /** Something unexpected. */
  failed: 1,
  /** The command line is wrong. */
  usage: 2,
  /** Not signed in, or the fedgate session ended or was revoked: run `fedgate login`. */
  signIn: 3,
  /** The role is not (or no longer) granted, or the name matches several roles. */
  role: 4,
  /** fedgate could not be reached or answered unexpectedly (network, TLS, 5xx). */
  gateway: 5,
  /** The browser sign-in was cancelled, denied or timed out. */
  cancelled: 6,
});

/**
 * A failure the CLI explains: what happened, and the next step (a command to run, or what to
 * check). Printed on stderr as `fedgate: <message>` and `  <next>`; never a stack trace.
 */
export class CliError extends Error {
  readonly code: string;
  readonly next: string | undefined;
  readonly exitCode: number;
  constructor(code: string, message: string, opts: { next?: string; exitCode?: number } = {}) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.next = opts.next;
    this.exitCode = opts.exitCode ?? EXIT.failed;
  }
}

/** The error for "no usable session": the one next step is to sign in again, in a terminal. */
export const signInAgain = (code: string, message: string): CliError =>
  new CliError(code, message, { next: 'Sign in again: fedgate login', exitCode: EXIT.signIn });
