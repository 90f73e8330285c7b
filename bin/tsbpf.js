#!/usr/bin/env node
// Entry point for `npx tsbpf`: the CLI lives in the compiled dist/ tree (built by `npm install`'s prepare step).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('tsbpf: dist/ is missing; run `npm install` (or `npm run build`) in the tsbpf checkout first\n');
  process.exit(1);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
