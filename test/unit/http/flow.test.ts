import { describe, expect, it } from 'vitest';
import {
  defineFlow,
  finish,
  GatewayError,
  InvalidRequestError,
} from '../../../shared/http/index.js';
import { captureLogger } from '../../support/events.js';

describe('defineFlow', () => {
  it('runs the steps in order, each seeing what the steps before it added', async () => {
    const log = captureLogger();
    const seen: string[] = [];
    const flow = defineFlow<{ n: number }, string>('demo', log)
      .step('double', ({ n }) => {
        seen.push('double');
        return { doubled: n * 2 };
      })
      .step('note', async ({ doubled }) => {
        seen.push(`note ${doubled}`);
      })
      .step('label', ({ n, doubled }) => ({ label: `${n}->${doubled}` }))
      .end('answer', ({ label }) => `answer ${label}`);

    expect(flow.name).toBe('demo');
    expect(flow.steps).toEqual(['double', 'note', 'label', 'answer']);
    await expect(flow.run({ n: 21 })).resolves.toBe('answer 21->42');
    expect(seen).toEqual(['double', 'note 42']);
    expect(log.lines).toEqual([]);
  });

  it('a step that finishes ends the flow with its result: the later steps do not run', async () => {
    const ran: string[] = [];
    const flow = defineFlow<{ early: boolean }, string>('demo', captureLogger())
      .step('maybeFinish', ({ early }) => (early ? finish('early') : { late: 'late' }))
      .step('after', () => {
        ran.push('after');
      })
      .end('last', ({ late }) => late);

    await expect(flow.run({ early: true })).resolves.toBe('early');
    expect(ran).toEqual([]);
    await expect(flow.run({ early: false })).resolves.toBe('late');
    expect(ran).toEqual(['after']);
  });

  it('a failing step: one log line with the flow, the step and the code (no detail), the error rethrown, nothing after it runs', async () => {
    const log = captureLogger();
    const ran: string[] = [];
    const flow = defineFlow<{ secret: string }, string>('demo', log)
      .step('first', () => ({ a: 1 }))
      .step('parseThing', ({ secret }) => {
        throw new InvalidRequestError(`bad thing ${secret}`);
      })
      .end('last', () => {
        ran.push('last');
        return 'x';
      });

    await expect(flow.run({ secret: 's3cr3t' })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    expect(ran).toEqual([]);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        message: 'flow step failed',
        attrs: [{ flow: 'demo', step: 'parseThing', code: 'invalid_request' }],
      },
    ]);
    expect(log.text()).not.toContain('s3cr3t');
  });

  it("a device flow's normal waiting answers (authorization_pending, slow_down) are debug, not warnings", async () => {
    const log = captureLogger();
    const pending = new GatewayError(400, 'authorization_pending', 'not yet');
    const flow = defineFlow<object, string>('cli-token', log).end('redeemDeviceCode', () => {
      throw pending;
    });
    await expect(flow.run({})).rejects.toBe(pending);
    expect(log.lines).toEqual([
      {
        level: 'debug',
        message: 'flow step failed',
        attrs: [{ flow: 'cli-token', step: 'redeemDeviceCode', code: 'authorization_pending' }],
      },
    ]);
  });

  it('an unknown error is logged as server_error under its step', async () => {
    const log = captureLogger();
    const flow = defineFlow<object, string>('demo', log).end('boom', () => {
      throw new TypeError('x is undefined');
    });
    await expect(flow.run({})).rejects.toBeInstanceOf(TypeError);
    expect(log.lines.map((l) => l.attrs[0])).toEqual([
      { flow: 'demo', step: 'boom', code: 'server_error' },
    ]);
  });

  it('does not change its input object', async () => {
    const input = { n: 1 };
    const flow = defineFlow<{ n: number }, number>('demo', captureLogger())
      .step('add', () => ({ m: 2 }))
      .end('sum', ({ n, m }) => n + m);
    await expect(flow.run(input)).resolves.toBe(3);
    expect(input).toEqual({ n: 1 });
  });
});
