#!/usr/bin/env node
// `npx fedgate-admin …` from a checkout: the CLI is TypeScript, run through tsx (as `npm start` is).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./cli.ts');
await runCli();
