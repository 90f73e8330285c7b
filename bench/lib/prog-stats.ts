/**
 * The kernel's own run-time statistics of programs (bpf_stats: `run_cnt` and `run_time_ns` in
 * bpf_prog_info), for test runs whose duration the kernel does not report (raw tracepoints:
 * BPF_PROG_TEST_RUN takes no repeat and returns no duration there). Enabled with
 * BPF_ENABLE_STATS, which hands back an fd: statistics stay on while it is open and go off when
 * it is closed, also when the process dies, so a killed bench leaves nothing behind (unlike
 * writing /proc/sys/kernel/bpf_stats_enabled).
 */
import { closeSync } from 'node:fs';
import { attr as A } from '../../src/abi/attr.gen.js';
import { bpf_stats_type } from '../../src/abi/index.js';
import type { Program } from '../../src/loader/index.js';
import { attrFor, bpf } from '../../src/sys/bpf.js';

export interface RunStats {
  runs: bigint;
  ns: bigint;
}

/** Turns run-time statistics on; returns the function that turns them off again. */
export function enableRunTimeStats(): () => void {
  const fd = bpf('BPF_ENABLE_STATS', attrFor(A.enable_stats).set('type', bpf_stats_type.BPF_STATS_RUN_TIME), 'run-time statistics');
  let open = true;
  return () => {
    if (open) closeSync(fd);
    open = false;
  };
}

export function runStats(p: Program): RunStats {
  const i = p.info();
  return { runs: i.runCnt, ns: i.runTimeNs };
}

/** Average ns per run between two readings (null when the program did not run in between). */
export function nsPerRun(before: RunStats, after: RunStats): number | null {
  const runs = after.runs - before.runs;
  return runs > 0n ? Number(after.ns - before.ns) / Number(runs) : null;
}
