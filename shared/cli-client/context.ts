import type { GatewayPost } from './gateway.js';
import type { StatePaths } from './paths.js';

/**
 * Everything the CLI takes from its surroundings, injected by the entry point (bin) or a test:
 * the environment, the terminal, the clock, the browser, the network.
 */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  platform: string;
  homedir: string;
  hostname: string;
  username: string;
  /** The CLI's own version (the package's). */
  version: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Epoch ms. */
  now: () => number;
  /** Waits (the device flow's polling); tests may shorten it. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Opens a URL in the person's browser (tests pass a real Chromium). Default: `BROWSER`, else
   * `open` (macOS), `rundll32` (Windows), `xdg-open` (elsewhere); never through a shell.
   */
  openBrowser?: (url: string) => Promise<void>;
  /** The transport to a gateway (default: node:https; tests may count or fake calls). */
  post?: (base: URL) => GatewayPost;
  /**
   * How AWS profiles should call this CLI (`credential_process = <this> credentials …`).
   * Default: `fedgate` when that name on PATH is this CLI, else node and this script.
   */
  selfCommand?: () => string;
  /** Runs a command with the terminal (`fedgate exec`); resolves to its exit code. */
  run?: (command: string, args: readonly string[], env: Record<string, string>) => Promise<number>;
}

/** The CLI's surroundings with the state file's place worked out. */
export interface CliContext {
  io: CliIo;
  paths: StatePaths;
  /** Set once this run has warned about the clock. */
  clockWarned?: boolean;
}
