import { afterEach, describe, expect, it } from 'vitest';
import { withRoutineScimLinesHeld } from '../../../infra/local/demo/provisioning.js';

/**
 * `npm start` provisions the demo directory through the runner's own SCIM endpoint: some 300
 * requests, each logging a `request completed` line and most a `directory … created` line. Those
 * routine lines are held back during the run; warnings, errors and everything else still print.
 */
const line = (fields: Record<string, unknown>) => `${JSON.stringify(fields)}\n`;

describe('the demo provisioning run', () => {
  const original = process.stdout.write;
  afterEach(() => {
    process.stdout.write = original;
  });

  it("holds back the scim function's INFO lines of the run, nothing else", async () => {
    const printed: string[] = [];
    process.stdout.write = ((chunk: string) => {
      printed.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    const held = await withRoutineScimLinesHeld(async () => {
      process.stdout.write(line({ level: 'INFO', message: 'request completed', function: 'scim' }));
      process.stdout.write(
        line({ level: 'INFO', message: 'directory group created', function: 'scim' }),
      );
      process.stdout.write(line({ level: 'WARN', message: 'request refused', function: 'scim' }));
      process.stdout.write(line({ level: 'INFO', message: 'request completed', function: 'home' }));
      process.stdout.write('demo provisioning: plain text\n');
      process.stdout.write('{not json\n');
    }, {});
    expect(held).toBe(2);
    expect(printed.map((p) => p.trim())).toEqual([
      line({ level: 'WARN', message: 'request refused', function: 'scim' }).trim(),
      line({ level: 'INFO', message: 'request completed', function: 'home' }).trim(),
      'demo provisioning: plain text',
      '{not json',
    ]);
    // Afterwards the scim function's lines print again (a newcomer's own SCIM client).
    process.stdout.write(line({ level: 'INFO', message: 'request completed', function: 'scim' }));
    expect(printed).toHaveLength(5);
  });

  it('holds back nothing with FEDGATE_DEBUG set, and restores stdout when the run fails', async () => {
    const printed: string[] = [];
    const recorder = ((chunk: string) => {
      printed.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = recorder;
    const held = await withRoutineScimLinesHeld(
      async () => {
        process.stdout.write(
          line({ level: 'INFO', message: 'request completed', function: 'scim' }),
        );
      },
      { FEDGATE_DEBUG: '1' },
    );
    expect(held).toBe(0);
    expect(printed).toHaveLength(1);
    await expect(
      withRoutineScimLinesHeld(async () => {
        throw new Error('demo provisioning: create alice: 500');
      }, {}),
    ).rejects.toThrow('create alice');
    expect(process.stdout.write).toBe(recorder);
  });
});
