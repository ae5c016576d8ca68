import type { Log } from '../log.js';
import { GatewayError } from './errors.js';

const FINISHED: unique symbol = Symbol('flow finished');

/** A step's way to end its flow early with the flow's result (e.g. a confirmation page). */
export interface Finished<R> {
  readonly [FINISHED]: R;
}

/**
 * Ends the flow from inside a step: the steps after it do not run, and `result` is the flow's.
 * @example if (mustConfirm) return finish(await confirmation.hold(…));
 */
export const finish = <R>(result: R): Finished<R> => ({ [FINISHED]: result });

const isFinished = (v: unknown): v is Finished<unknown> =>
  typeof v === 'object' && v !== null && FINISHED in v;

/**
 * One named step of a flow: it reads the context built so far and returns what it adds to it
 * (an object whose keys join the context), nothing, or {@link finish}. Steps are plain functions,
 * so each can be tested alone with a literal context.
 */
export type StepRun<C, Out> = (ctx: C) => Out | Promise<Out>;

interface NamedStep {
  readonly name: string;
  readonly run: (ctx: Record<string, unknown>) => unknown;
}

/** The object part of a step's result, less `finish`: what joins the context. */
type ObjectOf<Out, R> = Out extends object ? (Out extends Finished<R> ? never : Out) : never;

/** What a step adds to the context (`unknown`, i.e. nothing, for a step that returns nothing). */
type Added<Out, R> = [ObjectOf<Out, R>] extends [never] ? unknown : ObjectOf<Out, R>;

/** A flow: an ordered list of named steps run by {@link FlowBuilder.end}'s runner. */
export interface Flow<In, R> {
  readonly name: string;
  /** The step names in order (what the docs and the logs show). */
  readonly steps: readonly string[];
  /** Runs the steps in order on `input`; the first failure is logged with its step and rethrown. */
  run(input: In): Promise<R>;
}

/** The code a failed step is logged with: a GatewayError's own, else `server_error`. */
const codeOf = (err: unknown): string => (err instanceof GatewayError ? err.code : 'server_error');

/**
 * Answers that are a protocol's normal state, not a refusal: a device-flow CLI polls every few
 * seconds and hears `authorization_pending` until the person confirms (RFC 8628 §3.5). Logged at
 * debug, so a waiting terminal does not fill the log with warnings.
 */
const EXPECTED_STATES: ReadonlySet<string> = new Set(['authorization_pending', 'slow_down']);

/**
 * Builds a flow step by step (node-oidc-provider's `lib/actions` arrays are the model): each
 * `.step(name, fn)` adds a named step whose result widens the context for the steps after it;
 * `.end(name, fn)` adds the last step, whose result is the flow's, and returns the flow.
 */
export class FlowBuilder<In, C, R> {
  readonly #name: string;
  readonly #log: Log;
  readonly #steps: readonly NamedStep[];

  /** @internal use {@link defineFlow}. */
  constructor(name: string, log: Log, steps: readonly NamedStep[]) {
    this.#name = name;
    this.#log = log;
    this.#steps = steps;
  }

  /** Adds a step; what it returns (an object) joins the context of the steps after it. */
  step<Out>(name: string, run: StepRun<C, Out>): FlowBuilder<In, C & Added<Out, R>, R> {
    return new FlowBuilder(this.#name, this.#log, [...this.#steps, { name, run } as NamedStep]);
  }

  /** Adds the last step (its result is the flow's result) and returns the flow. */
  end(name: string, run: StepRun<C, R>): Flow<In, R> {
    const steps = [...this.#steps, { name, run } as NamedStep];
    const flowName = this.#name;
    const log = this.#log;
    return {
      name: flowName,
      steps: steps.map((s) => s.name),
      async run(input: In): Promise<R> {
        const ctx = { ...(input as object) } as Record<string, unknown>;
        for (const [i, s] of steps.entries()) {
          let out: unknown;
          try {
            out = await s.run(ctx);
          } catch (err) {
            // One line per failed step: where it stopped and the code it answers with. The detail
            // and the stack are the error middleware's to log (once, with the request's outcome).
            const code = codeOf(err);
            const line = { flow: flowName, step: s.name, code };
            if (EXPECTED_STATES.has(code)) log.debug('flow step failed', line);
            else log.warn('flow step failed', line);
            throw err;
          }
          if (i === steps.length - 1) return out as R;
          if (isFinished(out)) return out[FINISHED] as R;
          if (typeof out === 'object' && out !== null) Object.assign(ctx, out);
        }
        /* v8 ignore next */
        throw new Error(`flow ${flowName} has no steps`);
      },
    };
  }
}

/**
 * Starts a flow named `name` (a route's or a tail's, e.g. `saml-acs`) whose input is `In` and
 * whose result is `R`; `log` gets one line for a failed step.
 * @example
 * const acs = defineFlow<{ event: APIGatewayProxyEventV2 }, HttpResponse>('saml-acs', log)
 *   .step('parseAcsForm', ({ event }) => ({ form: parseForm(event, MAX) }))
 *   .end('completeSignIn', ({ form }) => complete(form));
 */
export const defineFlow = <In extends object, R>(name: string, log: Log): FlowBuilder<In, In, R> =>
  new FlowBuilder<In, In, R>(name, log, []);
