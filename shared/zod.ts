/**
 * The one zod every runtime module imports: zod's "mini" build with its English messages.
 *
 * Why not `import * as z from 'zod'`: the classic API attaches dozens of methods to every schema
 * it constructs, and every fedgate function builds its schemas at cold start. Measured in a
 * fresh process (bundled): the environment and gateway config schemas took ~22 ms to construct
 * with classic zod and ~5 ms with mini, and the bundle carries 27 KiB of zod instead of 99 KiB.
 * Same core, same issues and messages (the English locale is configured here, as classic does on
 * import). Style: `z.string().check(z.minLength(1))`, `z.optional(s)`, `z._default(s, v)`,
 * `z.pipe(s, z.transform(f))`.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

// Re-exported name by name (`import * as z from '../zod.js'`), so esbuild keeps only what is
// used: exporting zod's namespace object itself would drag in every locale (~400 KiB).
export * from 'zod/mini';
