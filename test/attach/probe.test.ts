/**
 * Probes on the real kernel. uprobes: a child process (fixtures/probe-target.c) calls
 * probe_target(i) and libc's getpid(); uprobe/uretprobe programs see the argument and the return
 * value, a libc probe named in the section counts the getpid calls, all only for that child, and
 * nothing after detach. kprobes: when the kernel has them, the getppid entry is probed like the
 * tracepoint tests do; when it has none (CONFIG_KPROBES off, as on the kernel these tests were
 * written on), attaching is one clear error that points at fentry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ensureTracefs } from '../../src/sys/mount.js';
import { need } from '../helpers/env.js';
import { attachProgram, planFor } from '../../src/attach/auto.js';
import { AttachError } from '../../src/attach/common.js';
import { attachKprobe, parseKprobeTarget } from '../../src/attach/kprobe.js';
import { probeUnsupportedReason } from '../../src/attach/probe.js';
import { attachUprobe, findHostSymbol, parseUprobeTarget, resolveBinary } from '../../src/attach/uprobe.js';
import { loadType, num, probeTarget } from './helpers.js';

/** Starts the helper waiting on stdin (so its pid is known before it runs); `go()` lets it run. */
function startTarget(args: string[]): { pid: number; go: () => void; done: Promise<string> } {
  // `sh -c 'read x; exec helper …'`: exec keeps the pid.
  const child = spawn('sh', ['-c', 'read x; exec "$0" "$@"', probeTarget(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const done = new Promise<string>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`probe-target ${args.join(' ')} exited ${code}: ${out}`)))));
  return { pid: child.pid!, go: () => child.stdin!.end('go\n'), done };
}

test('uprobe targets: parsing, binary and symbol resolution, near names', { timeout: 30_000 }, async (t) => {
  if (!need(t, { tools: ['gcc'] })) return;
  assert.deepEqual(parseUprobeTarget('libc.so.6:getpid'), { binary: 'libc.so.6', symbol: 'getpid', offset: undefined });
  assert.deepEqual(parseUprobeTarget('/bin/x:main+8'), { binary: '/bin/x', symbol: 'main', offset: 8 });
  assert.deepEqual(parseUprobeTarget('/bin/x:0x1130'), { binary: '/bin/x', offset: 0x1130 });
  assert.throws(() => parseUprobeTarget('getpid'), /is not a uprobe target/);
  const libc = resolveBinary('libc.so.6');
  assert.match(libc, /^\/.*libc[.-]/);
  assert.equal(resolveBinary('libc'), libc, 'a bare library name finds its versioned file');
  assert.ok(findHostSymbol(libc, 'getpid').fileOffset > 0n);
  const bin = probeTarget();
  const sym = findHostSymbol(bin, 'probe_target');
  assert.ok(sym.fileOffset > 0n && sym.fileOffset < 0x100000n);
  assert.throws(() => findHostSymbol(bin, 'probe_targte'), (e: unknown) => e instanceof AttachError && /no function 'probe_targte'/.test(e.message) && /probe_target/.test(e.hint ?? ''));
  assert.throws(() => resolveBinary('/nonexistent/bin'), /does not exist/);
  assert.throws(() => resolveBinary('no-such-library-xyz'), /not found/);
  assert.throws(() => findHostSymbol('/etc/hostname', 'x'), /not a usable ELF file: no ELF magic/);
  assert.deepEqual(parseKprobeTarget('do_sys_openat2+4'), { func: 'do_sys_openat2', offset: 4 });
  assert.throws(() => parseKprobeTarget('a b'), /is not a kernel function/);
});

test('uprobe/uretprobe on probe_target and a libc uprobe from the section fire for one child only', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'gcc'] })) return;
  const child = startTarget(['calls', '5']);
  const obj = await loadType('uprobe');
  obj.writeGlobal('target_tgid', child.pid);
  try {
    const entry = attachUprobe({ fd: obj.program('uprobe_entry').fd, name: 'uprobe_entry' }, { binary: probeTarget(), symbol: 'probe_target' });
    const ret = attachUprobe({ fd: obj.program('uprobe_return').fd, name: 'uprobe_return' }, { binary: probeTarget(), symbol: 'probe_target' }, { retprobe: true });
    const libc = attachProgram(obj, 'uprobe_getpid'); // section: uprobe/libc.so.6:getpid
    assert.match(libc.description, /^uprobe \/.*libc.*:getpid \(perf link\)$/);
    try {
      child.go();
      assert.match(await child.done, /^done /);
      assert.equal(num(obj, 'calls'), 5);
      assert.equal(num(obj, 'returns'), 5);
      assert.equal(num(obj, 'last_arg'), 5, 'the last call was probe_target(5)');
      assert.equal(num(obj, 'last_ret'), 10, 'which returned 10');
      assert.equal(num(obj, 'libc_calls'), 5, 'five getpid() calls through libc');
    } finally {
      entry.detach();
      ret.detach();
      libc.detach();
    }
    // After detach: a new child, now the target, is not seen.
    const again = startTarget(['calls', '3']);
    obj.writeGlobal('target_tgid', again.pid);
    again.go();
    await again.done;
    assert.equal(num(obj, 'calls'), 5);
    assert.equal(num(obj, 'libc_calls'), 5);
  } finally {
    obj.close();
  }
});

test('a uprobe limited to one pid ignores other processes', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'gcc'] })) return;
  const a = startTarget(['calls', '4']);
  const b = startTarget(['calls', '4']);
  const obj = await loadType('uprobe'); // target_tgid 0: counts every process the probe fires in
  try {
    const att = attachUprobe({ fd: obj.program('uprobe_entry').fd, name: 'uprobe_entry' }, { binary: probeTarget(), symbol: 'probe_target' }, { pid: a.pid });
    assert.match(att.description, new RegExp(`\\(pid ${a.pid}\\)`));
    try {
      for (const c of [a, b]) c.go();
      await Promise.all([a.done, b.done]);
      assert.equal(num(obj, 'calls'), 4, 'only the calls of the chosen pid');
    } finally {
      att.detach();
    }
  } finally {
    obj.close();
  }
});

test('the legacy tracefs probe events (the fallback without a PMU) attach, fire and are removed', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'gcc'] })) return;
  const events = `${ensureTracefs()}/uprobe_events`;
  if (!existsSync(events)) return t.skip('no uprobe_events in tracefs');
  const child = startTarget(['calls', '3']);
  const obj = await loadType('uprobe');
  obj.writeGlobal('target_tgid', child.pid);
  try {
    const att = attachUprobe({ fd: obj.program('uprobe_entry').fd, name: 'uprobe_entry' }, { binary: probeTarget(), symbol: 'probe_target' }, { method: 'tracefs' });
    const mine = new RegExp(`^p:tsbpf/p${process.pid}_\\d+ `, 'm');
    try {
      assert.match(att.description, /\(perf link\)$/);
      assert.match(readFileSync(events, 'utf8'), mine, 'a probe event of ours while attached');
      child.go();
      await child.done;
      assert.equal(num(obj, 'calls'), 3);
      assert.equal(num(obj, 'last_arg'), 3);
    } finally {
      att.detach();
    }
    assert.doesNotMatch(readFileSync(events, 'utf8'), mine, 'removed on detach');
  } finally {
    obj.close();
  }
});

test('kprobe/kretprobe on __x64_sys_getppid, or a clear error on a kernel without kprobes', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  if (process.arch !== 'x64') return t.skip('the corpus program probes the x86-64 syscall entry');
  const obj = await loadType('kprobe', { target_tgid: process.pid });
  try {
    const prog = { fd: obj.program('kprobe_getppid').fd, name: 'kprobe_getppid' };
    const reason = probeUnsupportedReason('kprobe');
    if (reason) {
      assert.throws(() => attachProgram(obj, 'kprobe_getppid'), (e: unknown) =>
        e instanceof AttachError && e.message.includes("cannot attach kprobe program 'kprobe_getppid' to __x64_sys_getppid: this kernel has no kprobes") && /CONFIG_KPROBES/.test(e.message) && /fentry\/__x64_sys_getppid/.test(e.hint ?? ''));
      assert.throws(() => planFor(obj.model, 'kretprobe_getppid'), /this kernel has no kprobes/);
      t.diagnostic(`kprobes are not available here (${reason}); only the error path was tested`);
      return;
    }
    assert.throws(() => attachKprobe(prog, 'do_sys_opnat2'), (e: unknown) => e instanceof AttachError && /unknown kernel function 'do_sys_opnat2'/.test(e.message) && /do_sys_openat2/.test(e.hint ?? ''));
    const entry = attachProgram(obj, 'kprobe_getppid');
    const ret = attachProgram(obj, 'kretprobe_getppid');
    try {
      for (let i = 0; i < 4; i++) void process.ppid;
      assert.equal(num(obj, 'hits'), 4);
      assert.equal(num(obj, 'returns'), 4);
      assert.equal(num(obj, 'last_ret'), process.ppid);
    } finally {
      entry.detach();
      ret.detach();
    }
    void process.ppid;
    assert.equal(num(obj, 'hits'), 4);
  } finally {
    obj.close();
  }
});

