/**
 * `tsbpf build`: writes objects (target/bpf/NAME.o by default, -o otherwise), builds every
 * *.bpf.ts under ./src without arguments, reports all diagnostics with exit 1, and never loads
 * the typescript package or koffi (the build must stay fast).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES, ROOT } from './helpers.js';

const BIN = join(ROOT, 'bin', 'tsbpf.js');

function tsbpf(args: string[], cwd: string, extraNode: string[] = []): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [...extraNode, BIN, ...args], { cwd, encoding: 'utf8' });
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-build-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('tsbpf build FILE writes target/bpf/NAME.o; -o chooses the path', () => {
  withDir((dir) => {
    const r = tsbpf(['build', join(EXAMPLES, 'hello-world.bpf.ts')], dir);
    assert.equal(r.status, 0, r.stderr);
    const out = join(dir, 'target', 'bpf', 'hello-world.o');
    assert.ok(existsSync(out));
    assert.deepEqual([...readFileSync(out).subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
    assert.match(r.stdout, /built target\/bpf\/hello-world\.o \(hello_world\)/);
    const r2 = tsbpf(['build', join(EXAMPLES, 'udp-drop.bpf.ts'), '-o', 'x/y.o', '--stats'], dir);
    assert.equal(r2.status, 0, r2.stderr);
    assert.ok(existsSync(join(dir, 'x', 'y.o')));
    assert.match(r2.stdout, /udp_drop\s+xdp\s+\d+ insns\s+\d+ slots/);
  });
});

test('tsbpf build without FILE builds every *.bpf.ts under ./src', () => {
  withDir((dir) => {
    mkdirSync(join(dir, 'src', 'net'), { recursive: true });
    writeFileSync(join(dir, 'src', 'a.bpf.ts'), readFileSync(join(EXAMPLES, 'hello-world.bpf.ts')));
    writeFileSync(join(dir, 'src', 'net', 'b.bpf.ts'), readFileSync(join(EXAMPLES, 'percpu-counter.bpf.ts')));
    writeFileSync(join(dir, 'src', 'user.ts'), 'export {};\n');
    const r = tsbpf(['build'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'target', 'bpf', 'a.o')));
    assert.ok(existsSync(join(dir, 'target', 'bpf', 'b.o')));
    assert.ok(!existsSync(join(dir, 'target', 'bpf', 'user.o')));
  });
});

test('tsbpf build reports every error with file:line:col, code, source line and hint; exit 1', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'bad.bpf.ts'), [
      'import { xdp, XdpAction, type u8 } from "tsbpf/kernel";',
      'export const p = xdp((ctx) => {',
      '  const x: u8 = ctx.len;',
      '  while (x) {}',
      '  return XdpAction.PASS;',
      '});',
      '',
    ].join('\n'));
    const r = tsbpf(['build', 'bad.bpf.ts'], dir);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^bad\.bpf\.ts:3:17: error TSBPF030: cannot use u32 as u8 implicitly/m);
    assert.match(r.stderr, /^ {2}3 \| {3}const x: u8 = ctx\.len;\n {4}\| {17}\^$/m);
    assert.match(r.stderr, /^bad\.bpf\.ts:4:3: error TSBPF016: while loops/m);
    assert.match(r.stderr, /hint: write for \(let i = 0; i < CONSTANT; i\+\+\)/);
    assert.match(r.stderr, /^2 errors$/m);
    assert.ok(!existsSync(join(dir, 'target')));
  });
});

test('tsbpf build: usage errors', () => {
  withDir((dir) => {
    const r = tsbpf(['build'], dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no \*\.bpf\.ts files under \.\/src/);
    const r2 = tsbpf(['build', 'a.bpf.ts', 'b.bpf.ts', '-o', 'x.o'], dir);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /-o needs exactly one input file/);
    const r3 = tsbpf(['build', 'missing.bpf.ts'], dir);
    assert.equal(r3.status, 1);
    assert.match(r3.stderr, /cannot read missing\.bpf\.ts: ENOENT/);
  });
});

test('the build path loads neither typescript nor koffi', () => {
  withDir((dir) => {
    // typescript and koffi are CommonJS packages loaded through require: watch Module._load
    const reg = join(dir, 'watch.cjs');
    writeFileSync(reg, [
      "const M = require('node:module');",
      'const load = M._load;',
      'M._load = function (req, ...rest) {',
      "  if (/^(typescript|koffi)(\\/|$)/.test(req)) process.stderr.write('LOADED ' + req + '\\n');",
      '  return load.call(this, req, ...rest);',
      '};',
    ].join('\n'));
    const r = tsbpf(['build', join(EXAMPLES, 'udp-drop.bpf.ts')], dir, ['--require', reg]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /LOADED/);
    // the hook itself works: --typecheck does load typescript
    const r2 = tsbpf(['build', '--typecheck', join(EXAMPLES, 'hello-world.bpf.ts')], dir, ['--require', reg]);
    assert.equal(r2.status, 0, r2.stderr);
    assert.match(r2.stderr, /LOADED typescript/);
  });
});
