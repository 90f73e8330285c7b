/**
 * perf_event_open(2) for attaching BPF programs: tracepoints (by their tracefs id), kprobe and
 * uprobe PMU events (a function name, or a binary path and file offset, passed by address in
 * config1), software/hardware sampling events; the sysfs PMU descriptions they need; and
 * PERF_EVENT_IOC_SET_BPF for kernels without perf-event links (before 5.15).
 */
import { readFileSync } from 'node:fs';
import { addressOf, errno, libcFunc, pinnedBytes, rawSyscall, syscallNumber } from './libc.js';
import { SysError } from './errors.js';

export { perfEventEnable, perfEventDisable } from './perf.js';

/** perf_type_id values (uapi linux/perf_event.h). */
export const PERF_TYPE = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2, HW_CACHE: 3, RAW: 4, BREAKPOINT: 5 } as const;

const PERF_ATTR_SIZE = 128; // PERF_ATTR_SIZE_VER7
const PERF_FLAG_FD_CLOEXEC = 1 << 3;
const ATTR_DISABLED = 1n << 0n;
const ATTR_FREQ = 1n << 10n;
const PERF_EVENT_IOC_SET_BPF = 0x40042408; // _IOW('$', 8, __u32)

export interface PerfEventSpec {
  type: number;
  config: number | bigint;
  /** A number, or a string the kernel reads by address (kprobe function name, uprobe path). */
  config1?: number | bigint | string;
  config2?: number | bigint;
  /** Sample every N events… */
  samplePeriod?: number | bigint;
  /** …or about N times per second (sets attr.freq). */
  sampleFreq?: number;
  /** Open disabled (enable with perfEventEnable). */
  disabled?: boolean;
}

/** perf_event_attr bytes for `spec` (exported for tests). */
export function perfEventAttr(spec: PerfEventSpec, keep: Uint8Array[] = []): Uint8Array {
  const attr = pinnedBytes(PERF_ATTR_SIZE);
  const dv = new DataView(attr.buffer, attr.byteOffset, PERF_ATTR_SIZE);
  dv.setUint32(0, spec.type, true);
  dv.setUint32(4, PERF_ATTR_SIZE, true);
  dv.setBigUint64(8, BigInt(spec.config), true);
  let flags = 0n;
  if (spec.sampleFreq !== undefined) {
    dv.setBigUint64(16, BigInt(spec.sampleFreq), true);
    flags |= ATTR_FREQ;
  } else if (spec.samplePeriod !== undefined) {
    dv.setBigUint64(16, BigInt(spec.samplePeriod), true);
  }
  if (spec.disabled) flags |= ATTR_DISABLED;
  dv.setBigUint64(40, flags, true);
  if (typeof spec.config1 === 'string') {
    const s = pinnedBytes(Buffer.byteLength(spec.config1) + 1);
    s.set(Buffer.from(spec.config1, 'utf8'));
    keep.push(s); // must stay alive until the syscall returns
    dv.setBigUint64(56, addressOf(s), true);
  } else if (spec.config1 !== undefined) {
    dv.setBigUint64(56, BigInt(spec.config1), true);
  }
  if (spec.config2 !== undefined) dv.setBigUint64(64, BigInt.asUintN(64, BigInt(spec.config2)), true);
  return attr;
}

/**
 * Opens a perf event (pid -1 = every process, then cpu must be ≥ 0); returns its fd (CLOEXEC).
 * `what` names it in errors, e.g. `kprobe do_sys_openat2`.
 */
export function perfEventOpen(spec: PerfEventSpec, pid: number, cpu: number, what: string): number {
  const keep: Uint8Array[] = [];
  const attr = perfEventAttr(spec, keep);
  const fd = rawSyscall(syscallNumber('perf_event_open'), addressOf(attr), pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) throw new SysError(`perf_event_open(${what})`, errno());
  keep.length = 0;
  return fd;
}

/** PERF_EVENT_IOC_SET_BPF: runs program `progFd` on every hit of the event (the pre-link way). */
export function perfEventSetBpf(fd: number, progFd: number): void {
  const r = libcFunc('int ioctl(int fd, unsigned long req, ...)')(fd, PERF_EVENT_IOC_SET_BPF, 'int', progFd) as number;
  if (r < 0) throw new SysError('ioctl(PERF_EVENT_IOC_SET_BPF)', errno());
}

const PMU_DIR = '/sys/bus/event_source/devices';

/** The dynamic PMU type of `name` (`kprobe`, `uprobe`) from sysfs, or undefined when the kernel has none. */
export function pmuType(name: string): number | undefined {
  try {
    const n = Number(readFileSync(`${PMU_DIR}/${name}/type`, 'utf8').trim());
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The config bit of a PMU format flag (`retprobe` is `config:0`), or undefined. */
export function pmuFormatBit(pmu: string, field: string): number | undefined {
  try {
    const m = /^config:(\d+)$/.exec(readFileSync(`${PMU_DIR}/${pmu}/format/${field}`, 'utf8').trim());
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
