/**
 * Tracing programs compiled from TypeScript, attached for real and fired by events this test
 * makes (filtered by its own pid or a child's), each next to a clang build of the same C attached
 * at the same time where the result is countable: the tracepoint (openat calls by flags, plus the
 * logged file names), the raw tracepoint (syscalls by number), the uprobe (getpid calls of a
 * child); and tp_btf, uretprobe, perf_event through their log records. kprobe/kretprobe
 * and fentry/fexit/lsm are loaded (verifier); they are attached only where the kernel offers them
 * (this CI kernel has no kprobes and refuses BTF trampolines with EPERM — clang's builds too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileC } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { unique } from '../helpers/netns.js';
import { LoadError, loadObject, type LoadedObject } from '../../src/loader/index.js';
import { LogReader, type LogRecord } from '../../src/log/index.js';
import { attachPerfEvent, attachRawTracepoint, attachTracepoint, attachTracing, attachUprobe, attachKprobe, type Attachment } from '../../src/attach/index.js';
import { probeUnsupportedReason } from '../../src/attach/probe.js';
import { SysError } from '../../src/sys/errors.js';
import { buildExample, buildSource, TEST_DIR } from './helpers.js';

const cObject = (name: string): string => compileC(join(TEST_DIR, 'c', `${name}.bpf.c`));

function records(r: LogReader): LogRecord[] {
  const out: LogRecord[] = [];
  for (let rec = r.next(); rec; rec = r.next()) out.push(rec);
  return out;
}

async function both(ex: string, c: string, constants: Record<string, number> = {}): Promise<[LoadedObject, LoadedObject]> {
  const ours = await loadObject(buildExample(ex).object, { name: 'ts_trace', constants, log: 'info' });
  try {
    return [ours, await loadObject(cObject(c), { name: 'c_trace', constants })];
  } catch (e) {
    ours.close();
    throw e;
  }
}

function detachAll(links: Attachment[]): void {
  for (const l of links) l.detach();
}

test('tracepoint-openat ≡ tracepoint_openat.bpf.c: the same counts for this process\'s openat calls, and the file names logged', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const [ours, theirs] = await both('tracepoint-openat', 'tracepoint_openat', { target_pid: process.pid });
  const logs = LogReader.open(ours);
  const links: Attachment[] = [];
  try {
    links.push(attachTracepoint(ours.program('openat_log'), 'syscalls', 'sys_enter_openat'));
    links.push(attachTracepoint(theirs.program('openat_log'), 'syscalls', 'sys_enter_openat'));
    // O_NOCTTY marks this test's calls (nothing else in node opens with it)
    const marker = join(tmpdir(), unique('tsbpf-openat'));
    const flags = [constants.O_RDONLY | constants.O_NOCTTY, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK];
    for (const [i, f] of [flags[0], flags[1], flags[1]].entries()) {
      try {
        closeSync(openSync(`${marker}-${i}`, f!));
      } catch {
        // ENOENT: the call was made, which is what is traced
      }
    }
    detachAll(links.splice(0));
    const dump = (o: LoadedObject): string[] => [...o.map('opens').entries()].filter(([k]) => (BigInt(k as bigint) & BigInt(constants.O_NOCTTY)) !== 0n).map(([k, v]) => `${k}=${v}`).sort();
    const a = dump(ours);
    assert.deepEqual(a, dump(theirs));
    assert.equal(a.length, 2, `two flag values: ${a.join(', ')}`);
    assert.deepEqual(a.map((x) => x.split('=')[1]).sort(), ['1', '2']);
    const names = records(logs).map((r) => r.message).filter((m) => m.includes(marker));
    assert.deepEqual(names.map((m) => m.replace(/ \(flags .*/, '')), [0, 1, 2].map((i) => `pid ${process.pid} opens ${marker}-${i}`));
  } finally {
    detachAll(links);
    logs.close();
    ours.close();
    theirs.close();
  }
});

test('raw-tracepoint-syscalls ≡ raw_tp_syscalls.bpf.c: the same count of getppid calls', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const [ours, theirs] = await both('raw-tracepoint-syscalls', 'raw_tp_syscalls', { target_pid: process.pid });
  const links: Attachment[] = [];
  try {
    links.push(attachRawTracepoint(ours.program('count_syscalls'), 'sys_enter'));
    links.push(attachRawTracepoint(theirs.program('count_syscalls'), 'sys_enter'));
    let sum = 0;
    for (let i = 0; i < 5; i++) sum += process.ppid; // uv_os_getppid: one getppid(2) each
    detachAll(links.splice(0));
    const GETPPID = 110n; // x86-64
    const a = ours.map('syscalls').get(GETPPID) as bigint;
    assert.ok(sum > 0);
    assert.ok(a >= 5n, `getppid counted ${a} times`);
    assert.equal(a, theirs.map('syscalls').get(GETPPID));
  } finally {
    detachAll(links);
    ours.close();
    theirs.close();
  }
});

test('raw-tracepoint-syscalls under testRun: arguments as ctxIn count like real calls, in both builds; refusals say why', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const [ours, theirs] = await both('raw-tracepoint-syscalls', 'raw_tp_syscalls');
  try {
    // sys_enter's arguments: (struct pt_regs *regs, long id); the program reads only the id
    const args = new Uint8Array(16);
    const SYSCALL = 4242n; // no such syscall: nothing real counts it
    new DataView(args.buffer).setBigUint64(8, SYSCALL, true);
    for (const o of [ours, theirs]) {
      const p = o.program('count_syscalls');
      for (let i = 0; i < 3; i++) {
        const r = p.testRun(new Uint8Array(0), { ctxIn: args });
        assert.equal(r.retval, 0);
        assert.equal(r.data.length, 0);
      }
      assert.equal(o.map('syscalls').get(SYSCALL), 3n);
    }
    const p = ours.program('count_syscalls');
    const refused = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof LoadError && re.test(e.message));
    refused(() => p.testRun(new Uint8Array(0)), /raw_tracepoint\): the tracepoint's arguments are missing/);
    refused(() => p.testRun(new Uint8Array(14), { ctxIn: args }), /take no packet \(got 14 bytes\)/);
    refused(() => p.testRun(new Uint8Array(0), { ctxIn: args, repeat: 100 }), /once per call \(repeat 100 refused\)/);
    refused(() => p.testRun(new Uint8Array(0), { ctxIn: new Uint8Array(104) }), /at most 12 u64 arguments/);
    // fewer arguments than the program reads: the kernel's EINVAL, explained
    assert.throws(() => p.testRun(new Uint8Array(0), { ctxIn: new Uint8Array(8) }), (e: unknown) => e instanceof SysError && /cannot be test-run this way/.test(e.message) && /ctxIn/.test(e.hint ?? ''));
  } finally {
    ours.close();
    theirs.close();
  }
});

test('uprobe-getpid ≡ uprobe_getpid.bpf.c: the same count of a child\'s getpid() calls; the uretprobe logs the results', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'python3'] })) return;
  const no = probeUnsupportedReason('uprobe');
  if (no) return t.skip(no);
  const ours = await loadObject(buildExample('uprobe-getpid').object, { name: 'ts_up', log: 'debug' });
  const theirs = await loadObject(cObject('uprobe_getpid'), { name: 'c_up' });
  const logs = LogReader.open(ours, { filter: 'debug' });
  const links: Attachment[] = [];
  try {
    const target = { binary: 'libc.so.6', symbol: 'getpid' };
    links.push(attachUprobe(ours.program('getpid_entry'), target));
    links.push(attachUprobe(ours.program('getpid_exit'), target, { retprobe: true }));
    links.push(attachUprobe(theirs.program('getpid_entry'), target));
    const r = spawnSync('python3', ['-c', 'import os\nfor _ in range(7): os.getpid()\nprint(os.getpid())'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    detachAll(links.splice(0));
    const child = Number(r.stdout.trim());
    const a = ours.map('calls').get(child) as bigint;
    assert.ok(a >= 8n, `the child's getpid() calls: ${a}`);
    assert.equal(a, theirs.map('calls').get(child));
    const mine = records(logs).filter((x) => x.message === `getpid() = ${child}`);
    assert.ok(mine.length >= 8, `uretprobe records: ${mine.length}`);
  } finally {
    detachAll(links);
    logs.close();
    ours.close();
    theirs.close();
  }
});

test('tp_btf, perf_event, printk and log in tracing programs: records and trace lines', async (t) => {
  if (!need(t, { kernel: true, tools: ['python3'] })) return;
  const marker = `tsbpf-${process.pid}-${Date.now() % 100000}`;
  const src = `
import { tpBtf, perfEvent, log, printk, get_current_pid_tgid, type i32, type u32 } from "tsbpf/kernel";
export const parent: u32 = 0;
export const on_exec = tpBtf("sched_process_exec", (ctx) => {
  const tgid = (get_current_pid_tgid() >> 32) as u32;
  log.info(ctx, "exec of {} (old pid {})", tgid, ctx.arg(1) as i32);
  printk("${marker} exec %u", tgid);
});
export const on_sample = perfEvent((ctx) => {
  if (ctx.samplePeriod === 0) return;
  log.info(ctx, "sample");
});
`;
  const obj = await loadObject(buildSource(src, 'tracing-live.bpf.ts').object, { name: 'tr_live', log: 'info' });
  const logs = LogReader.open(obj);
  const { TracePipe } = await import('../../src/trace/trace-pipe.js');
  const pipe = TracePipe.open({ filter: marker });
  const links: Attachment[] = [];
  try {
    links.push(attachTracing(obj.program('on_exec'), 'tp_btf sched_process_exec'));
    links.push(attachPerfEvent(obj.program('on_sample'), { event: 'cpu-clock', sampleFreq: 1000 }));
    const r = spawnSync('sh', ['-c', 'echo $$; exec python3 -c "import time; t = time.time()\nwhile time.time() - t < 0.3: pass"'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const pid = Number(r.stdout.trim());
    detachAll(links.splice(0));
    const recs = records(logs);
    assert.ok(recs.some((x) => x.target === 'on_exec' && x.message === `exec of ${pid} (old pid ${pid})`), 'the tp_btf program saw the exec');
    assert.ok(recs.filter((x) => x.target === 'on_sample').length > 10, 'perf event samples were logged');
    // every exec on the machine prints a line with our marker: read until the child's, or 5 s
    const want = new RegExp(`${marker} exec ${pid}\\b`);
    const seen: string[] = [];
    const until = Date.now() + 5000;
    while (Date.now() < until && !seen.some((l) => want.test(l))) {
      const line = await Promise.race([pipe.nextLine(), new Promise<undefined>((res) => { setTimeout(() => res(undefined), Math.max(1, until - Date.now())).unref(); })]);
      if (line === undefined) break;
      seen.push(String(line));
    }
    assert.ok(seen.some((l) => want.test(l)), `printk line for exec ${pid} on the trace pipe; seen: ${seen.join(' | ')}`);
  } finally {
    detachAll(links);
    pipe.close();
    logs.close();
    obj.close();
  }
});

test('kprobe-openat and the BTF tracing fixtures load; they attach where the kernel has kprobes / trampolines', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(buildExample('kprobe-openat').object, { name: 'kp' });
  try {
    assert.ok(obj.program('openat2_entry').fd && obj.program('openat2_exit').fd, 'the verifier accepted both');
    const no = probeUnsupportedReason('kprobe');
    if (no) t.diagnostic(`kprobes not attached: ${no}`);
    else {
      const logs = LogReader.open(obj);
      const links = [attachKprobe(obj.program('openat2_entry'), 'do_sys_openat2'), attachKprobe(obj.program('openat2_exit'), 'do_sys_openat2', { retprobe: true })];
      const path = join(tmpdir(), unique('tsbpf-kprobe'));
      try {
        openSync(path, 'r');
      } catch {
        // ENOENT: logged by both probes
      }
      detachAll(links);
      const recs = records(logs).map((r) => r.message);
      logs.close();
      assert.ok(recs.some((m) => m.includes(path)), 'the kprobe logged the file name');
      assert.ok(recs.includes('open failed: -2'), 'the kretprobe logged ENOENT');
    }
  } finally {
    obj.close();
  }
  // fentry/fexit/lsm: ours and clang's, loaded the same way
  const fentryC = join(tmpdir(), `${unique('tsbpf-fentry')}.bpf.c`);
  const { writeFileSync, rmSync } = await import('node:fs');
  writeFileSync(fentryC, '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nSEC("fentry/do_unlinkat") int f(unsigned long long *ctx) { return 0; }\nchar LICENSE[] SEC("license") = "GPL";\n');
  let clangErr: unknown;
  try {
    (await loadObject(compileC(fentryC), { name: 'c_fentry' })).close();
  } catch (e) {
    clangErr = e;
  } finally {
    rmSync(fentryC, { force: true });
  }
  const { readFileSync } = await import('node:fs');
  const fixture = buildSource(readFileSync(join(TEST_DIR, 'fixtures', 'codegen', 'tracing.bpf.ts'), 'utf8'), 'tracing.bpf.ts');
  for (const p of ['unlink_entry', 'unlink_exit', 'file_open']) {
    try {
      (await loadObject(fixture.object, { programs: [p], name: 'ts_tracing' })).close();
    } catch (e) {
      // the kernel refusing the program type for clang's build too is the environment, not us
      if (clangErr instanceof SysError && e instanceof SysError && e.errno === clangErr.errno && e.errno === 1) {
        t.diagnostic(`${p}: the kernel refuses BTF tracing programs here (EPERM for clang's fentry program too)`);
        continue;
      }
      throw e;
    }
  }
});

test('register pressure: more values than registers across a call still compile (spills, not "too many values")', async (t) => {
  // eleven arguments live across a map update, plus constants the optimiser hoisted: the copies
  // that rematerialisation makes must never be taken for constants that can give way
  const src = `import { rawTracepoint, HashMap, type u64 } from "tsbpf/kernel";
const m = new HashMap<u64, u64>({ maxEntries: 16 });
export const prog = rawTracepoint("sys_enter", (ctx) => {
  const a0 = ctx.arg(0), a1 = ctx.arg(1), a2 = ctx.arg(2), a3 = ctx.arg(3), a4 = ctx.arg(4);
  const a5 = ctx.arg(5), a6 = ctx.arg(6), a7 = ctx.arg(7), a8 = ctx.arg(8), a9 = ctx.arg(9);
  const k = ctx.arg(10) ^ 0x123456789;
  const x = k + a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9;
  m.update(x, a0 * a1 * a2 * a3 * a4 * a5 * a6 * a7 * a8 * a9);
});
`;
  const built = buildSource(src, 'pressure.bpf.ts');
  if (!need(t, { kernel: true })) return;
  const o = await loadObject(built.object, { name: 'pressure' });
  try {
    const args = new Uint8Array(96);
    const dv = new DataView(args.buffer);
    for (let i = 0; i < 11; i++) dv.setBigUint64(i * 8, BigInt(i + 2), true);
    o.program('prog').testRun(new Uint8Array(0), { ctxIn: args });
    const x = (12n ^ 0x123456789n) + [2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n].reduce((a, b) => a + b);
    const prod = [2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n].reduce((a, b) => a * b);
    assert.equal(o.map('m').get(x), prod);
  } finally {
    o.close();
  }
});
