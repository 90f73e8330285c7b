/**
 * `tsbpf run` against the kernel, each test in its own network namespace: the seed's hello world
 * on `lo` (ping → printk lines, Ctrl-C → "Exiting...", exit 0, nothing attached), kill -9 leaving
 * nothing attached, and every bad input giving one clear line, exit ≠ 0 and nothing left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compileC, corpusObject } from '../helpers/corpus.js';
import { findTool, need } from '../helpers/env.js';
import { withNetns } from '../helpers/netns.js';
import { unprivilegedPrefix } from '../sys/bpf-fixtures.js';
import { CliProcess, runCli, waitNoXdp, xdpOf } from './run-process.js';

const FIXTURES = fileURLToPath(new URL('../../../test/cli/fixtures/', import.meta.url));
const ONE_ERROR = /^tsbpf run: error: [^\n]+\n(  hint: [^\n]+\n)?$/;

function ping(ns: string, count: number): number {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', String(count), '-i', '0.2', '-W', '1', '127.0.0.1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ping failed: ${r.stdout}${r.stderr}`);
  return r.pid!; // `ip netns exec` execs ping in place: same pid
}

test('hello world on lo: ping lines, Ctrl-C prints Exiting..., exits 0 and detaches', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping'] })) return;
  const obj = corpusObject('hello');
  await withNetns(async (ns) => {
    const run = new CliProcess(ns.prefix(), ['run', obj, '-i', 'lo']);
    try {
      await run.waitFor(/Waiting for Ctrl-C\.\.\.\n/);
      assert.match(xdpOf(ns.name, 'lo'), /xdpgeneric|prog\/xdp/, 'attached while running');
      assert.match(run.stderr, /native mode failed on 'lo'.*skb \(generic\) mode/, 'auto mode falls back with a notice');
      const pid = ping(ns.name, 3);
      // Request and reply both cross lo: two lines per ping, all from our ping's pid.
      const mine = new RegExp(`^ping-${pid} +\\[\\d{3}\\] \\S+ +\\d+\\.\\d{6}: bpf_trace_printk: packet  received!$`, 'm');
      await run.waitFor(mine);
      const deadline = Date.now() + 5000;
      const count = () => run.lines.filter((l) => l.startsWith(`ping-${pid} `)).length;
      while (count() < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(count() >= 3, `expected printk lines from ping ${pid}:\n${run.stdout}`);
      const res = await run.stop('SIGINT');
      assert.equal(res.code, 0, run.stderr);
      assert.match(run.stdout, /Exiting\.\.\.\n$/);
      assert.equal(xdpOf(ns.name, 'lo'), '', 'nothing attached after Ctrl-C');
    } finally {
      run.kill();
    }
  });
});

test('SIGTERM detaches too; kill -9 of the runner leaves no XDP program attached', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip'] })) return;
  const obj = corpusObject('hello');
  await withNetns(async (ns) => {
    const term = new CliProcess(ns.prefix(), ['run', obj, '-i', 'lo', '-m', 'skb']);
    try {
      await term.waitFor(/Waiting for Ctrl-C/);
      const r = await term.stop('SIGTERM');
      assert.equal(r.code, 0, term.stderr);
      assert.match(term.stdout, /Exiting\.\.\./);
      assert.equal(xdpOf(ns.name, 'lo'), '');
    } finally {
      term.kill();
    }
    const killed = new CliProcess(ns.prefix(), ['run', obj, '-i', 'lo', '-m', 'skb']);
    try {
      await killed.waitFor(/Waiting for Ctrl-C/);
      assert.notEqual(xdpOf(ns.name, 'lo'), '');
      const r = await killed.stop('SIGKILL');
      assert.equal(r.signal, 'SIGKILL');
      assert.equal(await waitNoXdp(ns.name, 'lo'), '', 'the XDP link died with the process');
    } finally {
      killed.kill();
    }
  });
});

test('bad input: one clear line, exit code 1, nothing attached', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip'] })) return;
  const hello = corpusObject('hello');
  const calls = corpusObject('calls');
  const rejected = compileC(`${FIXTURES}unchecked_access.bpf.c`);
  await withNetns(async (ns) => {
    const cases: [string[], RegExp][] = [
      [['run', hello, '-i', 'nosuch0'], /interface 'nosuch0': no such interface.*\n  hint: interfaces here: lo\n/],
      [['run', calls, '-i', 'lo'], /has 2 XDP programs \(xdp_tail, xdp_dispatch\): choose one with -p NAME/],
      [['run', calls, '-i', 'lo', '-p', 'nope'], /no program 'nope' in .*\n  hint: programs: xdp_tail, xdp_dispatch\n/],
      [['run', rejected, '-i', 'lo'], /verifier rejected program 'unchecked_access': invalid access to packet.*source: if \(data\[12\] == 0x08\) @ unchecked_access\.bpf\.c:9\n  hint: run again with --verbose/],
      [['run', hello, '-i', 'lo', '-m', 'native'], /cannot attach XDP program 'hello_world' to 'lo' in native mode: EOPNOTSUPP|ENOTSUP/],
      [['run', hello, '-i', 'lo', '-m', 'fast'], /unknown mode 'fast'/],
      [['run', '/nonexistent/x.o', '-i', 'lo'], /cannot read '\/nonexistent\/x\.o': no such file/],
      [['run', 'prog.bpf.ts', '-i', 'lo'], /cannot read 'prog\.bpf\.ts': no such file/],
      [['run', hello], /missing -i IFACE/],
    ];
    for (const [args, re] of cases) {
      const r = runCli(ns.prefix(), args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, ONE_ERROR, `${args.join(' ')} printed more than one error line`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stdout, '', `${args.join(' ')} printed to stdout`);
      assert.equal(xdpOf(ns.name, 'lo'), '', `${args.join(' ')} left XDP attached`);
    }
    // --verbose puts the whole verifier log before the error line.
    const v = runCli(ns.prefix(), ['run', rejected, '-i', 'lo', '--verbose']);
    assert.equal(v.status, 1);
    assert.match(v.stderr, /^0: R1=ctx\(\)/m);
    assert.match(v.stderr, /processed \d+ insns/);
    assert.match(v.stderr, /tsbpf run: error: verifier rejected program 'unchecked_access'/);
  });
});

test('an interface that already has XDP is refused (naming it), --force replaces it', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip'] })) return;
  const hello = corpusObject('hello');
  await withNetns(async (ns) => {
    // Someone else's program, attached through netlink by iproute2.
    ns.exec('ip', ['link', 'set', 'dev', 'lo', 'xdpgeneric', 'obj', hello, 'sec', 'xdp']);
    const before = xdpOf(ns.name, 'lo');
    const id = /prog\/xdp id (\d+)/.exec(before)?.[1];
    assert.ok(id, before);
    const r = runCli(ns.prefix(), ['run', hello, '-i', 'lo']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, ONE_ERROR);
    assert.match(r.stderr, new RegExp(`interface 'lo' already has XDP program 'hello_world' \\(prog id ${id}, skb mode, attached via netlink\\)\\n  hint: pass --force`));
    assert.equal(xdpOf(ns.name, 'lo'), before, 'the existing program is untouched');

    const forced = new CliProcess(ns.prefix(), ['run', hello, '-i', 'lo', '--force']);
    try {
      await forced.waitFor(/Waiting for Ctrl-C/);
      assert.match(forced.stderr, new RegExp(`replaced XDP program 'hello_world' \\(prog id ${id}`));
      const now = /prog\/xdp id (\d+)/.exec(xdpOf(ns.name, 'lo'))?.[1];
      assert.ok(now && now !== id, 'our program replaced the old one');
      // A second runner meets our link: refused, naming the link.
      const second = runCli(ns.prefix(), ['run', hello, '-i', 'lo']);
      assert.equal(second.status, 1);
      assert.match(second.stderr, new RegExp(`prog id ${now}, skb mode, link id \\d+\\)`));
      assert.equal((await forced.stop('SIGINT')).code, 0);
      assert.equal(xdpOf(ns.name, 'lo'), '');
    } finally {
      forced.kill();
    }
  });
});

test('without privileges: one line naming the failed call, with the capability hint', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'setpriv'] })) return;
  const hello = corpusObject('hello');
  await withNetns(async (ns) => {
    const r = runCli([...ns.prefix(), ...unprivilegedPrefix(findTool('setpriv'))!], ['run', hello, '-i', 'lo']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, ONE_ERROR);
    assert.match(r.stderr, /failed: EPERM/);
    assert.match(r.stderr, /hint: run as root, or grant CAP_BPF and CAP_NET_ADMIN/);
    assert.equal(xdpOf(ns.name, 'lo'), '');
  });
});
