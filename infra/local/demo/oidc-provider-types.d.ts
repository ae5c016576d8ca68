// oidc-provider ships no types; this is the part of its API the demo OP and the tests use.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    /** The OP's session, when the browser has one. */
    session?: { accountId?: string; uid: string };
    /** When the interaction expires (epoch seconds). */
    exp: number;
    save(ttlSeconds: number): Promise<unknown>;
  }

  /** Why a prompt is shown: REQUEST_PROMPT (true) or NO_NEED_TO_PROMPT (false). */
  class Check {
    static REQUEST_PROMPT: true;
    static NO_NEED_TO_PROMPT: false;
    constructor(
      reason: string,
      description: string,
      error: string,
      check: (ctx: {
        oidc: {
          result?: { login?: unknown };
          prompts: Set<string>;
          session: { accountId?: string };
        };
      }) => boolean,
    );
  }
  interface Prompt {
    name: string;
    checks: { add(check: Check, index?: number): void };
  }
  interface Policy extends Array<Prompt> {
    get(name: string): Prompt | undefined;
  }
  export const interactionPolicy: { base(): Policy; Check: typeof Check };

  class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: string, listener: (...args: unknown[]) => void): this;
    proxy: boolean;
    // biome-ignore lint/suspicious/noExplicitAny: the models are untyped
    Grant: any;
    Session: {
      findByUid(uid: string): Promise<{ destroy(): Promise<void> } | undefined>;
    };
  }
  export default Provider;
  export { Provider };
}
