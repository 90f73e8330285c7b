/**
 * `tsbpf trace` against the kernel: the hello world program on a namespace's `lo` (attached by
 * iproute2), pings inside the namespace → `packet  received!` lines in the seed's format; the
 * filter and raw options; Ctrl-C → exit 0 with the private tracing instance removed; the shared
 * trace_pipe with --global.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { withNetns, unique } from '../helpers/netns.js';
import { ensureTracefs } from '../../src/sys/mount.js';
import { CliProcess } from './run-process.js';

const READY = /tsbpf trace: reading bpf_printk output/;

function ping(ns: string, count: number): number {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', String(count), '-i', '0.2', '-W', '1', '127.0.0.1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ping failed: ${r.stdout}${r.stderr}`);
  return r.pid!;
}

function instancesOf(pid: number): string[] {
  return readdirSync(join(ensureTracefs(), 'instances')).filter((n) => n.startsWith(`tsbpf-${pid}-`));
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

test('pings on a namespace lo with hello world attached give packet  received! lines; Ctrl-C exits 0', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping'] })) return;
  const hello = corpusObject('hello');
  await withNetns(async (ns) => {
    ns.exec('ip', ['link', 'set', 'dev', 'lo', 'xdpgeneric', 'obj', hello, 'sec', 'xdp']);
    const plain = new CliProcess(ns.prefix(), ['trace']);
    const raw = new CliProcess(ns.prefix(), ['trace', '--raw', '--filter', 'packet  received']);
    const none = new CliProcess(ns.prefix(), ['trace', '--filter', unique('no-such-text')]);
    try {
      for (const p of [plain, raw, none]) await p.waitFor(READY, 20_000, 'stderr');
      const pid = ping(ns.name, 3);
      const mine = (p: CliProcess) => p.lines.filter((l) => new RegExp(`^\\s*ping-${pid} `).test(l));
      await until(() => mine(plain).length >= 6 && mine(raw).length >= 6);
      // Two lines per ping (request and reply both cross lo), in the seed's format.
      assert.ok(mine(plain).length >= 3, plain.stdout);
      for (const l of mine(plain)) assert.match(l, new RegExp(`^ping-${pid} +\\[\\d{3}\\] [.a-zA-Z0-9]{4,5} +\\d+\\.\\d{6}: bpf_trace_printk: packet  received!$`));
      // --raw keeps the kernel's padding; --filter passes only matching lines.
      assert.ok(mine(raw).length >= 3, raw.stdout);
      for (const l of mine(raw)) assert.match(l, new RegExp(`^ +ping-${pid} +\\[`));
      for (const l of raw.lines) assert.ok(l.includes('packet  received'), l);
      for (const p of [plain, raw, none]) {
        const r = await p.stop('SIGINT');
        assert.equal(r.code, 0, p.stderr);
        assert.deepEqual(instancesOf(p.child.pid!), [], 'private tracing instance removed');
      }
      assert.equal(none.stdout, '');
    } finally {
      for (const p of [plain, raw, none]) p.kill();
    }
  });
});

test('an instance left by a killed trace is swept by the next one', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip'] })) return;
  await withNetns(async (ns) => {
    const first = new CliProcess(ns.prefix(), ['trace']);
    try {
      await first.waitFor(READY, 20_000, 'stderr');
      assert.equal(instancesOf(first.child.pid!).length, 1);
      await first.stop('SIGKILL');
      assert.equal(instancesOf(first.child.pid!).length, 1, 'SIGKILL leaves the instance');
    } finally {
      first.kill();
    }
    const second = new CliProcess(ns.prefix(), ['trace']);
    try {
      await second.waitFor(READY, 20_000, 'stderr');
      assert.deepEqual(instancesOf(first.child.pid!), [], 'swept');
      assert.equal((await second.stop('SIGTERM')).code, 0);
    } finally {
      second.kill();
    }
  });
});

test('--global streams the shared trace_pipe (trace_marker lines included)', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip'] })) return;
  const marker = unique('tsbpf-global-marker');
  await withNetns(async (ns) => {
    const g = new CliProcess(ns.prefix(), ['trace', '--global', '--filter', marker]);
    try {
      await g.waitFor(READY, 20_000, 'stderr');
      const tracefs = ensureTracefs();
      assert.ok(existsSync(join(tracefs, 'trace_marker')));
      for (let i = 0; i < 3; i++) writeFileSync(join(tracefs, 'trace_marker'), `${marker} ${i}\n`);
      await g.waitFor(new RegExp(`${marker} 2`));
      assert.deepEqual(g.lines.map((l) => l.replace(/^.*tracing_mark_write: /, '')), [0, 1, 2].map((i) => `${marker} ${i}`));
      // The task name is `<...>` when the kernel has not cached this pid's comm.
      for (const l of g.lines) assert.match(l, new RegExp(`^(node|<\\.\\.\\.>)-${process.pid} +\\[\\d{3}\\] `));
      assert.equal((await g.stop('SIGINT')).code, 0);
    } finally {
      g.kill();
    }
  });
});

test('usage errors are one line', { timeout: 30_000 }, async (t) => {
  if (!need(t, { tools: [] })) return;
  const r = spawnSync(process.execPath, [new URL('../../../bin/tsbpf.js', import.meta.url).pathname, 'trace', '--buffer-kb', 'lots'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^tsbpf trace: error: --buffer-kb 'lots' is not a whole number of KiB between 1 and 1048576\n$/);
  const u = spawnSync(process.execPath, [new URL('../../../bin/tsbpf.js', import.meta.url).pathname, 'trace', '--bogus'], { encoding: 'utf8' });
  assert.equal(u.status, 1);
  assert.match(u.stderr, /^tsbpf trace: error: [^\n]*--bogus[^\n]*\n$/);
});

test('the seed workflow: `tsbpf run` in one terminal, `tsbpf trace` in another, both see every line', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping'] })) return;
  const hello = corpusObject('hello');
  await withNetns(async (ns) => {
    const run = new CliProcess(ns.prefix(), ['run', hello, '-i', 'lo']);
    const trace = new CliProcess(ns.prefix(), ['trace']);
    try {
      await run.waitFor(/Waiting for Ctrl-C/);
      await trace.waitFor(READY, 20_000, 'stderr');
      const pid = ping(ns.name, 4);
      const mine = (p: CliProcess) => p.lines.filter((l) => l.startsWith(`ping-${pid} `));
      await until(() => mine(run).length >= 8 && mine(trace).length >= 8);
      // Neither reader takes lines from the other: both get the same records (each instance
      // stamps its own copy, so flags and timestamps differ by microseconds).
      const strip = (ls: string[]) => ls.map((l) => l.replace(/\] \S+ +\d+\.\d+:/, ']'));
      assert.ok(mine(trace).length >= 4, trace.stdout);
      assert.deepEqual(strip(mine(trace)), strip(mine(run)));
      for (const p of [trace, run]) assert.equal((await p.stop('SIGINT')).code, 0, p.stderr);
    } finally {
      run.kill();
      trace.kill();
    }
  });
});
