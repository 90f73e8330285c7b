/**
 * For the perf buffer tests: run a function with the calling thread pinned to one CPU
 * (sched_setaffinity), so that a test run's BPF_F_CURRENT_CPU sample lands in that CPU's ring.
 * The kernel writes a ring's PERF_RECORD_LOST only with the next sample on that CPU, so a test
 * that must see every loss writes one sample on each CPU.
 */
import { errno, libcFunc } from '../../src/sys/libc.js';
import { onlineCpus } from '../../src/sys/perf.js';

const MASK_BYTES = 128; // cpu_set_t: 1024 CPUs

export function onCpu<T>(cpu: number, fn: () => T): T {
  const get = libcFunc('int sched_getaffinity(int pid, size_t size, void *mask)');
  const set = libcFunc('int sched_setaffinity(int pid, size_t size, void *mask)');
  const saved = new Uint8Array(MASK_BYTES);
  if ((get(0, MASK_BYTES, saved) as number) < 0) throw new Error(`sched_getaffinity: errno ${errno()}`);
  const mask = new Uint8Array(MASK_BYTES);
  mask[cpu >> 3] = 1 << (cpu & 7);
  if ((set(0, MASK_BYTES, mask) as number) < 0) throw new Error(`sched_setaffinity(cpu ${cpu}): errno ${errno()}`);
  try {
    return fn();
  } finally {
    set(0, MASK_BYTES, saved);
  }
}

/** Runs `fn` once on every online CPU. */
export function onEveryCpu(fn: (cpu: number) => void): void {
  for (const cpu of onlineCpus()) onCpu(cpu, () => fn(cpu));
}
