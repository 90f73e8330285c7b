/**
 * The one-file CLI bundle (scripts/bundle.ts) and how bin/tsbpf.js chooses it: made in a copy of
 * the package layout (bin/ copied, dist/src and node_modules linked) so that staleness, a
 * missing or corrupt code cache and a missing dist/ can be staged without touching the real tree.
 * Every command path that differs in a bundle is run through it: builds (byte-identical to
 * dist/src's), diagnostics, --typecheck (import.meta.url, typescript loaded from node_modules),
 * objdump/readelf (lazy imports of builtins), --version (package.json found from the module URL).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli, tsbuildinfoStamp } from '../../scripts/bundle.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function tsbpf(root: string, args: string[], env: Record<string, string> = {}, cwd = root): Run {
  return spawnSync(process.execPath, [join(root, 'bin', 'tsbpf.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, TSBPF_DEBUG: '1', TSBPF_NO_BUNDLE: '', ...env } });
}

/** The package as npm would lay it out, with our bin and a bundle of the current dist/src. */
function layout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-bundle-test-'));
  mkdirSync(join(dir, 'bin'));
  for (const f of ['tsbpf.js', 'package.json']) copyFileSync(join(ROOT, 'bin', f), join(dir, 'bin', f));
  mkdirSync(join(dir, 'dist'));
  symlinkSync(join(ROOT, 'dist', 'src'), join(dir, 'dist', 'src'));
  writeFileSync(join(dir, 'dist', '.tsbuildinfo'), 'stand-in for tsc state\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(EXAMPLES, join(dir, 'examples'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  return dir;
}

function which(r: Run): string {
  const m = /^tsbpf: running (\S+)(.*)$/m.exec(r.stderr);
  assert.ok(m, `no entry line in stderr: ${r.stderr}`);
  return `${m[1]}${m[2]}`;
}

function cacheFiles(root: string): string[] {
  return readdirSync(join(root, 'dist', 'bundle')).filter((n) => n.endsWith('.v8cache'));
}

test('the bundle runs every command as dist/src does, with its code cache', async () => {
  const root = layout();
  try {
    const b = await bundleCli({ root });
    assert.equal(b.stamp, tsbuildinfoStamp(root));
    assert.ok(b.modules > 50, `only ${b.modules} modules bundled`);
    assert.ok(b.cacheFile && existsSync(b.cacheFile), `no code cache: ${b.trainNote}`);
    assert.match(readFileSync(b.file, 'latin1').split('\n')[0]!, /^\/\/ tsbpf-bundle \{"id":"[0-9a-f]{16}","stamp":/);
    const out = join(root, 'out');
    mkdirSync(out);
    for (const n of readdirSync(EXAMPLES).filter((f) => f.endsWith('.bpf.ts'))) {
      const viaBundle = tsbpf(root, ['build', join(EXAMPLES, n), '-o', join(out, `${n}.bundle.o`)]);
      const viaDist = tsbpf(root, ['build', join(EXAMPLES, n), '-o', join(out, `${n}.dist.o`)], { TSBPF_NO_BUNDLE: '1' });
      assert.equal(viaBundle.status, viaDist.status, `${n}: ${viaBundle.stderr}`);
      assert.match(which(viaBundle), /^dist\/bundle\/tsbpf\.cjs .*code cache used$/);
      assert.match(which(viaDist), /^dist\/src \(TSBPF_NO_BUNDLE=1\)$/);
      if (viaDist.status === 0) assert.deepEqual(readFileSync(join(out, `${n}.bundle.o`)), readFileSync(join(out, `${n}.dist.o`)), n);
      assert.equal(viaBundle.stdout.replace('.bundle.o', '.o'), viaDist.stdout.replace('.dist.o', '.o'));
    }
    const obj = join(out, 'hello-world.bpf.ts.bundle.o');
    // the same text through both entries, for everything a bundle could break
    const cases: string[][] = [
      ['--version'],
      ['--help'],
      ['nonsense'],
      ['objdump', '-d', obj],
      ['readelf', '-S', '-s', obj],
      ['build', join(root, 'missing.bpf.ts')],
      ['build', '--typecheck', join(EXAMPLES, 'hello-world.bpf.ts'), '-o', join(out, 'tc.o')],
    ];
    writeFileSync(join(out, 'bad.bpf.ts'), 'import { xdp, XdpAction } from "tsbpf/kernel";\nexport const p = xdp((ctx) => { while (1) {} return XdpAction.PASS; });\n');
    cases.push(['build', join(out, 'bad.bpf.ts')]);
    for (const args of cases) {
      const viaBundle = tsbpf(root, args);
      const viaDist = tsbpf(root, args, { TSBPF_NO_BUNDLE: '1' });
      assert.match(which(viaBundle), /^dist\/bundle\//, args.join(' '));
      if (args.includes('--typecheck') || args[0] === 'objdump') assert.equal(viaBundle.status, 0, viaBundle.stderr);
      const strip = (s: string): string => s.replace(/^tsbpf: running .*\n/m, '');
      assert.deepEqual([viaBundle.status, viaBundle.stdout, strip(viaBundle.stderr)], [viaDist.status, viaDist.stdout, strip(viaDist.stderr)], args.join(' '));
    }
    assert.equal(tsbpf(root, ['--version']).stdout, `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bin/tsbpf.js: stale bundle, missing or corrupt cache, bad header, missing dist', async () => {
  const root = layout();
  try {
    await bundleCli({ root, train: false });
    assert.deepEqual(cacheFiles(root), []);
    // no cache for this V8: the first run writes one, the next uses it
    assert.match(which(tsbpf(root, ['--help'])), /code cache absent$/);
    assert.equal(cacheFiles(root).length, 1);
    assert.match(which(tsbpf(root, ['--help'])), /code cache used$/);
    // a cache V8 refuses (here: garbage) is only an optimisation: the command still works
    writeFileSync(join(root, 'dist', 'bundle', cacheFiles(root)[0]!), 'not a code cache');
    const corrupt = tsbpf(root, ['--version']);
    assert.equal(corrupt.status, 0);
    assert.match(which(corrupt), /code cache rejected$/);
    // tsc wrote dist/ after the bundle was made: dist/src runs
    writeFileSync(join(root, 'dist', '.tsbuildinfo'), 'tsc ran again\n');
    const stale = tsbpf(root, ['build', join(EXAMPLES, 'hello-world.bpf.ts'), '-o', join(root, 'h.o')]);
    assert.equal(stale.status, 0, stale.stderr);
    assert.match(which(stale), /^dist\/src \(tsc has written dist\/ since the bundle was made/);
    // an installed package has no .tsbuildinfo: the bundle that came with it runs
    rmSync(join(root, 'dist', '.tsbuildinfo'));
    assert.match(which(tsbpf(root, ['--version'])), /^dist\/bundle\//);
    // a file that is not our bundle is never run
    writeFileSync(join(root, 'dist', 'bundle', 'tsbpf.cjs'), 'process.exit(42)\n');
    const bad = tsbpf(root, ['--version']);
    assert.equal(bad.status, 0);
    assert.match(which(bad), /^dist\/src \(dist\/bundle\/tsbpf\.cjs has no valid header\)/);
    // no dist/ at all: one clear line
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    const none = tsbpf(root, ['--version']);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /dist\/ is missing; run `npm install`/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the checkout runs its bundle when `npm run build` made it after the last tsc', (t) => {
  const header = existsSync(join(ROOT, 'dist', 'bundle', 'tsbpf.cjs')) ? readFileSync(join(ROOT, 'dist', 'bundle', 'tsbpf.cjs'), 'latin1').split('\n')[0]! : '';
  const stamp = /"stamp":"([^"]*)"/.exec(header)?.[1];
  if (stamp !== tsbuildinfoStamp(ROOT)) {
    // `npm test` bundles right after tsc; a bare `tsc` + run-tests.js leaves it stale on purpose
    t.skip(stamp ? 'dist/bundle is older than the last tsc run (npm run build refreshes it)' : 'no dist/bundle (npm run build makes it)');
    return;
  }
  const r = tsbpf(ROOT, ['--version']);
  assert.equal(r.status, 0);
  assert.match(which(r), /^dist\/bundle\/tsbpf\.cjs /);
});
