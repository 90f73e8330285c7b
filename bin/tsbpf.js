#!/usr/bin/env node
// Entry point for `npx tsbpf`. CommonJS on purpose (bin/package.json): starting from an ES module
// costs ~6 ms of loader set-up, more than everything below. It runs the one-file bundle of the CLI
// (dist/bundle/tsbpf.cjs, made by `npm run build` from dist/src: scripts/bundle.ts) with a V8 code
// cache, so a `tsbpf build` neither pays Node's per-module cost nor compiles the compiler again;
// and it falls back to the ES modules in dist/src when there is no bundle, when tsc has written
// dist/ since the bundle was made (stamp of dist/.tsbuildinfo in the bundle's first line), or
// with TSBPF_NO_BUNDLE=1. TSBPF_DEBUG=1 says on stderr which one ran.
'use strict';
const { readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const debug = process.env.TSBPF_DEBUG === '1';

/** The bundle's exports, or undefined (with the reason under TSBPF_DEBUG) to use dist/src. */
function loadBundle() {
  if (process.env.TSBPF_NO_BUNDLE === '1') return skip('TSBPF_NO_BUNDLE=1');
  const dir = join(root, 'dist', 'bundle');
  const file = join(dir, 'tsbpf.cjs');
  let src;
  try {
    src = readFileSync(file, 'latin1'); // ASCII by construction (esbuild charset=ascii, checked)
  } catch {
    return skip('no dist/bundle/tsbpf.cjs (`npm run build` makes it)');
  }
  const mark = '// tsbpf-bundle ';
  const line = src.slice(0, src.indexOf('\n'));
  let meta;
  try {
    meta = line.startsWith(mark) ? JSON.parse(line.slice(mark.length, line.indexOf('}') + 1)) : undefined;
  } catch {
    meta = undefined;
  }
  if (!meta || typeof meta.id !== 'string') return skip('dist/bundle/tsbpf.cjs has no valid header');
  const st = statSync(join(root, 'dist', '.tsbuildinfo'), { throwIfNoEntry: false });
  // No .tsbuildinfo: an installed package (dist/src without tsc's state) — the bundle came with it.
  if (st && `${st.mtimeMs}:${st.size}` !== meta.stamp) return skip('tsc has written dist/ since the bundle was made (`npm run build` refreshes it)');

  const vm = require('node:vm');
  const cacheFile = join(dir, `tsbpf-${meta.id}-v8-${process.versions.v8}-${process.arch}.v8cache`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${src}\n})`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const mod = { exports: {} };
  // The bin's own require: it resolves packages from the same package root as the bundle would,
  // without the ~0.3 ms of createRequire (the bundle requires only builtins itself).
  script.runInThisContext().call(mod.exports, mod.exports, require, mod, file, dir);
  if (debug) process.stderr.write(`tsbpf: running dist/bundle/tsbpf.cjs (${meta.id}); code cache ${cachedData ? (script.cachedDataRejected ? 'rejected' : 'used') : 'absent'}\n`);
  // None for this V8 yet: write one when the command ends, with every function it compiled.
  // (A rejected one — other V8 flags — is left alone for the runs it fits.)
  if (!cachedData) process.once('exit', () => writeCache(script, cacheFile));
  return mod.exports;
}

function writeCache(script, cacheFile) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile); // atomic: concurrent runs never read half a cache
  } catch {
    // read-only install or full disk: the cache is an optimisation only
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing to clean
    }
  }
}

function skip(why) {
  if (debug) process.stderr.write(`tsbpf: running dist/src (${why})\n`);
  return undefined;
}

async function main() {
  let cli = loadBundle();
  if (!cli) {
    const { pathToFileURL } = require('node:url');
    const main = join(root, 'dist', 'src', 'cli', 'main.js');
    if (!statSync(main, { throwIfNoEntry: false })) {
      process.stderr.write('tsbpf: dist/ is missing; run `npm install` (or `npm run build`) in the tsbpf checkout first\n');
      return 1;
    }
    cli = await import(pathToFileURL(main).href);
  }
  return cli.run(process.argv.slice(2));
}

main().then((code) => {
  process.exitCode = code;
});
