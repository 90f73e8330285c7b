/**
 * `tsbpf run examples/hello-world.bpf.ts -i lo` builds the TypeScript program and runs it: the
 * seed's experience end to end, with no C or Rust toolchain involved. A program with errors is
 * refused with its diagnostics and nothing is attached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { need } from '../helpers/env.js';
import { withNetns } from '../helpers/netns.js';
import { CliProcess } from '../cli/run-process.js';
import { EXAMPLES } from './helpers.js';

function xdpOf(ns: string): string {
  const r = spawnSync('ip', ['-n', ns, 'link', 'show', 'lo'], { encoding: 'utf8' });
  return /xdp/.test(r.stdout) ? r.stdout : '';
}

test('tsbpf run examples/hello-world.bpf.ts -i lo: builds, attaches, prints "packet  received!"', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  await withNetns(async (ns) => {
    const run = new CliProcess(ns.prefix(), ['run', join(EXAMPLES, 'hello-world.bpf.ts'), '-i', 'lo']);
    try {
      await run.waitFor(/Waiting for Ctrl-C\.\.\.\n/);
      const p = spawnSync('ip', ['netns', 'exec', ns.name, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '127.0.0.1'], { encoding: 'utf8' });
      assert.equal(p.status, 0, p.stderr);
      const mine = new RegExp(`^ping-${p.pid} +\\[\\d{3}\\] \\S+ +\\d+\\.\\d{6}: bpf_trace_printk: packet  received!$`, 'm');
      await run.waitFor(mine);
      const res = await run.stop('SIGINT');
      assert.equal(res.code, 0, run.stderr);
      assert.equal(xdpOf(ns.name), '', 'nothing attached after Ctrl-C');
    } finally {
      run.kill();
    }
  });
});

test('tsbpf run of a .bpf.ts with errors prints the diagnostics and attaches nothing', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip'] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-run-'));
  try {
    const bad = join(dir, 'bad.bpf.ts');
    writeFileSync(bad, 'import { xdp } from "tsbpf/kernel";\nexport const p = xdp((ctx) => { return ctx.nope; });\n');
    await withNetns(async (ns) => {
      const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, join(EXAMPLES, '..', 'bin', 'tsbpf.js'), 'run', bad, '-i', 'lo'], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /tsbpf run: error: cannot build '.*bad\.bpf\.ts':/);
      assert.match(r.stderr, /bad\.bpf\.ts:2:44: error TSBPF021: XdpContext has no member 'nope'/);
      assert.equal(xdpOf(ns.name), '');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
