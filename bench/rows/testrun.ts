/**
 * Row 2 (issue 4): ns per run under BPF_PROG_TEST_RUN of each TypeScript example vs its clang
 * build, both loaded by tsbpf's loader, on the same input. Runs of the two sides alternate so
 * drift (frequency, other load) hits both alike.
 *
 * Packet programs: the figure is the kernel's own average per run over a large repeat (what
 * `bpftool prog run` prints), which leaves out time the test-run loop spent rescheduled — on a
 * busy machine the wall clock of the syscall jumps by whole scheduler ticks. The kernel reports
 * whole ns, so the figure is the mean of the runs without the fastest and slowest (a median of
 * whole numbers would hide sub-ns differences); one ns is > 5 % of a 20 ns program.
 *
 * Raw tracepoints: the kernel runs them once per call with the tracepoint's arguments as ctx_in
 * (no packet, no repeat, no duration: bpf_prog_test_run_raw_tp), so the bench makes many single
 * calls and takes the kernel's run-time statistics (bpf_stats) per run; the wall clock per call,
 * syscall included, is in the note.
 *
 * Other tracing and cgroup types (tracepoint, kprobe/uprobe, perf_event, cgroup sysctl) have no
 * test run in the kernel at all (BPF_PROG_TEST_RUN answers ENOTSUPP); their rows say so.
 */
import { readFileSync } from 'node:fs';
import { bpf_prog_type } from '../../src/abi/index.js';
import { loadObject, type LoadedObject, type Program } from '../../src/loader/index.js';
import { E, SysError } from '../../src/sys/bpf.js';
import { type BenchContext, type Row, median, nowNs, trimmedMean, reasonOf, requireKernel, row, unavailable } from '../harness.js';
import { clangBuild, examplePairs, noCReason, tsbpfBuild } from '../lib/build.js';
import { udp4Packet } from '../lib/packets.js';
import { enableRunTimeStats, nsPerRun, runStats } from '../lib/prog-stats.js';

export const TESTRUN_GROUP = '2. ns per run (PROG_TEST_RUN)';
const GOAL = { text: '≤ 1.05× (issue 4)', max: 1.05 };

interface Spec {
  program?: string;
  tailCalls?: Record<string, Record<number, string>>;
  /** A raw tracepoint's arguments (u64 each), passed as ctx_in. */
  rawTpArgs?: bigint[];
  note?: string;
}

/** How to run each example; others run their only (or first) program on the default packet. */
const SPECS: Record<string, Spec> = {
  'hello-world': { note: 'every run writes one line to the trace buffer' },
  'tail-call': { program: 'xdp_dispatch', tailCalls: { jump_table: { 0: 'xdp_tail' } }, note: 'xdp_dispatch → tail call into xdp_tail' },
  'ringbuf-events': { note: 'nothing consumes the 256 KiB ring, so after ~8k runs the reserve fails: most runs take that path' },
  'udp-drop': { note: 'UDP to the blocked port: parse Ethernet/IPv4/UDP, hash-map count, drop' },
  // sys_enter(regs, id): regs is never read; id 39 (getpid) is counted in the hash map
  'raw-tracepoint-syscalls': { rawTpArgs: [0n, 39n], note: 'sys_enter(regs, id = 39): hash-map count (lookup + atomic add)' },
};

/** What the row says when Program.testRun cannot make the call bpf_prog_test_run_raw_tp accepts. */
const RAW_TP_LOADER =
  "tsbpf's Program.testRun cannot run raw_tracepoint programs yet: it always passes data_out (and ctx_out with ctxIn), " +
  'which the kernel refuses for raw tracepoints (EINVAL: only ctx_in is taken; data_in/out, ctx_out, repeat, duration and batch_size must be 0)';

interface Side {
  prog: Program;
  /** Kernel ns per run, one per batch. */
  kernelNs: number[];
  /** Wall-clock ns per run (or per call), one per batch. */
  wallNs: number[];
  retval: number;
}

export async function testRunRows(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const ex of examplePairs(ctx.repoRoot)) {
    const spec = SPECS[ex.name] ?? {};
    const base = { group: TESTRUN_GROUP, name: `examples/${ex.name}.bpf.ts`, unit: 'ns', anchorName: 'clang -O2, same loader', better: 'lower' as const, goal: GOAL };
    const noC = noCReason(ex);
    if (noC || !ex.c) {
      rows.push(unavailable(base, noC ?? 'no C equivalent'));
      continue;
    }
    const loaded: LoadedObject[] = [];
    let anchorNs: number | null = null;
    try {
      requireKernel();
      const opts = { tailCalls: spec.tailCalls };
      const clangObj = await loadObject(readFileSync(clangBuild(ctx, ex.c)), { ...opts, name: ex.name });
      loaded.push(clangObj);
      const anchorProg = pick(clangObj, spec);
      const rawTp = anchorProg.type === bpf_prog_type.BPF_PROG_TYPE_RAW_TRACEPOINT;
      if (rawTp && !spec.rawTpArgs) throw new Error(`${ex.name}: a raw tracepoint needs its arguments (rawTpArgs in bench/rows/testrun.ts)`);
      const once = rawTp ? rawTpRunner(spec.rawTpArgs!) : packetRunner();
      const cannot = cannotTestRun(anchorProg, once);
      if (cannot) {
        rows.push(unavailable(base, cannot));
        continue;
      }
      let ts: LoadedObject | undefined;
      let tsError: unknown;
      try {
        ts = await loadObject((await tsbpfBuild(ctx, ex.ts)).object, { ...opts, name: ex.name });
        loaded.push(ts);
      } catch (e) {
        tsError = e;
      }
      const ourProg = ts ? pick(ts, spec) : undefined;
      const progs = ourProg ? [ourProg, anchorProg] : [anchorProg];
      const measured = rawTp ? await measureSingleRuns(ctx, progs, once) : measureRepeat(ctx, progs);
      const anchor = measured.sides[measured.sides.length - 1]!;
      anchorNs = trimmedMean(anchor.kernelNs);
      if (!ourProg) {
        rows.push(unavailable({ ...base, anchor: anchorNs }, reasonOf(tsError)));
        continue;
      }
      const ours = measured.sides[0]!;
      const notes = [spec.note, ...measured.notes(ours, anchor)];
      if (ours.retval !== anchor.retval) notes.push(`DIFFERENT RESULTS: tsbpf returns ${ours.retval}, clang ${anchor.retval}`);
      rows.push(row({ ...base, ours: trimmedMean(ours.kernelNs), anchor: anchorNs, note: notes.filter(Boolean).join('; ') }));
    } catch (e) {
      rows.push(unavailable({ ...base, anchor: anchorNs }, reasonOf(e)));
    } finally {
      for (const o of loaded) o.close();
    }
  }
  return rows;
}

type Runner = (p: Program) => number;

function packetRunner(): Runner {
  const packet = udp4Packet(9999, 64);
  return (p) => p.testRun(packet).retval;
}

/** One run with the raw tracepoint's arguments as ctx_in and nothing else (repeat 0, no data). */
function rawTpRunner(args: bigint[]): Runner {
  const ctxIn = new Uint8Array(args.length * 8);
  const view = new DataView(ctxIn.buffer);
  args.forEach((a, i) => view.setBigUint64(i * 8, a, true));
  const none = new Uint8Array(0);
  return (p) => p.testRun(none, { ctxIn, repeat: 0, dataSizeOut: 0 }).retval;
}

/** Why `p` cannot be test-run here (one trial run), or undefined when it can. */
function cannotTestRun(p: Program, once: Runner): string | undefined {
  try {
    once(p);
    return undefined;
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    if (e.errno === E.ENOTSUPP) return `the kernel has no test run for ${kindOf(p)} programs (BPF_PROG_TEST_RUN answers ENOTSUPP)`;
    if (e.errno === E.EINVAL && p.type === bpf_prog_type.BPF_PROG_TYPE_RAW_TRACEPOINT) return RAW_TP_LOADER;
    throw e;
  }
}

/** The program type as bpftool names it; uprobes are kprobe programs, which the section tells apart. */
function kindOf(p: Program): string {
  return /^u(ret)?probe\//.test(p.section) ? `${p.typeName} (uprobe)` : p.typeName;
}

interface Measured {
  sides: Side[];
  notes(ours: Side, anchor: Side): string[];
}

/** Packet programs: the kernel's average over `repeat` runs per call. */
function measureRepeat(ctx: BenchContext, progs: Program[]): Measured {
  const repeat = 1_000_000;
  const batches = ctx.quick ? 5 : 11;
  const packet = udp4Packet(9999, 64);
  for (const p of progs) p.testRun(packet, { repeat: 1000 }); // warm caches and branch predictors
  const sides: Side[] = progs.map((prog) => ({ prog, kernelNs: [], wallNs: [], retval: prog.testRun(packet).retval }));
  for (let i = 0; i < batches; i++) {
    for (const s of sides) {
      const t0 = nowNs();
      const r = s.prog.testRun(packet, { repeat });
      s.wallNs.push(Number(nowNs() - t0) / repeat);
      s.kernelNs.push(r.durationNs);
    }
  }
  return {
    sides,
    notes: (ours, anchor) => [
      `kernel figures ${ours.kernelNs.join('/')} vs ${anchor.kernelNs.join('/')} ns`,
      `wall clock per run (median) ${median(ours.wallNs).toFixed(1)} vs ${median(anchor.wallNs).toFixed(1)} ns`,
      `repeat ${repeat.toLocaleString('en')} × ${batches} runs`,
    ],
  };
}

/**
 * Raw tracepoints: batches of single test runs from JS (the kernel takes no repeat), the figure
 * per batch being the kernel's run-time statistics (run_time_ns / run_cnt) — the program alone,
 * as the repeat figure of packet programs is — with the wall clock per call in the note.
 */
async function measureSingleRuns(ctx: BenchContext, progs: Program[], once: Runner): Promise<Measured> {
  const calls = ctx.quick ? 50_000 : 100_000;
  const batches = ctx.quick ? 5 : 11;
  const statsOff = enableRunTimeStats();
  ctx.defer(statsOff);
  try {
    const sides: Side[] = progs.map((prog) => ({ prog, kernelNs: [], wallNs: [], retval: once(prog) }));
    for (const s of sides) for (let i = 0; i < 1000; i++) once(s.prog); // warm up
    for (let b = 0; b < batches; b++) {
      for (const s of sides) {
        const before = runStats(s.prog);
        const t0 = nowNs();
        for (let i = 0; i < calls; i++) once(s.prog);
        s.wallNs.push(Number(nowNs() - t0) / calls);
        const per = nsPerRun(before, runStats(s.prog));
        if (per === null) throw new Error(`bpf_stats counted no runs of ${s.prog.name}: run-time statistics are off`);
        s.kernelNs.push(per);
      }
    }
    return {
      sides,
      notes: (ours, anchor) => [
        `the kernel takes no repeat for raw tracepoints and reports no duration: ${calls.toLocaleString('en')} single BPF_PROG_TEST_RUN calls (ctx_in = the 2 arguments) × ${batches} batches, figure = bpf_stats run_time_ns / run_cnt per batch (the program plus the statistics' own two clock reads, alike on both sides)`,
        `kernel figures ${fmtNs(ours.kernelNs)} vs ${fmtNs(anchor.kernelNs)} ns`,
        `wall clock per call from JS, syscall included (median) ${median(ours.wallNs).toFixed(0)} vs ${median(anchor.wallNs).toFixed(0)} ns`,
      ],
    };
  } finally {
    statsOff();
  }
}

function fmtNs(xs: number[]): string {
  return xs.map((x) => x.toFixed(1)).join('/');
}

function pick(obj: LoadedObject, spec: Spec): Program {
  if (spec.program) return obj.program(spec.program);
  const first = [...obj.programs.values()][0];
  if (!first) throw new Error('the object has no programs');
  return first;
}
