/** `npm run errors`: writes shared/http/ERRORS.md from the error classes (infra/error-catalogue.ts). */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildErrorCatalogue, renderErrorCatalogue } from './error-catalogue.js';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'shared/http/ERRORS.md');
writeFileSync(target, renderErrorCatalogue(await buildErrorCatalogue(root)));
console.log(`wrote ${target}`);
