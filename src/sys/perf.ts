/**
 * perf_event_open(2) for BPF perf event arrays: one PERF_COUNT_SW_BPF_OUTPUT software event per
 * CPU, whose ring (metadata page + 2^n data pages) the BPF program writes samples into with
 * bpf_perf_event_output. Plus the CPU lists the kernel publishes in sysfs.
 */
import { readFileSync } from 'node:fs';
import { addressOf, errno, libcFunc, pinnedBytes, rawSyscall, syscallNumber } from './libc.js';
import { SysError } from './errors.js';

const PERF_TYPE_SOFTWARE = 1;
const PERF_COUNT_SW_BPF_OUTPUT = 10;
export const PERF_SAMPLE_RAW = 1 << 10;
const PERF_ATTR_SIZE = 128; // PERF_ATTR_SIZE_VER7; the kernel accepts any size it knows
const PERF_FLAG_FD_CLOEXEC = 1 << 3;
const ATTR_FLAG_WATERMARK = 1n << 14n;
const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_EVENT_IOC_DISABLE = 0x2401;

export interface BpfOutputOptions {
  /** Wake the reader after this many samples (default 1: every sample). */
  wakeupEvents?: number;
  /** Or: wake the reader when this many bytes are pending (overrides wakeupEvents). */
  wakeupBytes?: number;
}

/** Encodes the perf_event_attr for a BPF output event (exported for tests). */
export function bpfOutputAttr(opts: BpfOutputOptions = {}): Uint8Array {
  const attr = pinnedBytes(PERF_ATTR_SIZE);
  const dv = new DataView(attr.buffer, attr.byteOffset, PERF_ATTR_SIZE);
  dv.setUint32(0, PERF_TYPE_SOFTWARE, true);
  dv.setUint32(4, PERF_ATTR_SIZE, true);
  dv.setBigUint64(8, BigInt(PERF_COUNT_SW_BPF_OUTPUT), true);
  dv.setBigUint64(16, 1n, true); // sample_period: every output is a sample
  dv.setBigUint64(24, BigInt(PERF_SAMPLE_RAW), true);
  if (opts.wakeupBytes !== undefined) {
    dv.setBigUint64(40, ATTR_FLAG_WATERMARK, true);
    dv.setUint32(48, Math.max(1, opts.wakeupBytes), true);
  } else {
    dv.setUint32(48, Math.max(1, opts.wakeupEvents ?? 1), true);
  }
  return attr;
}

/** Opens a BPF output event on `cpu` (any process); returns its fd. */
export function openBpfOutputEvent(cpu: number, opts: BpfOutputOptions = {}): number {
  const attr = bpfOutputAttr(opts);
  const fd = rawSyscall(syscallNumber('perf_event_open'), addressOf(attr), -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) throw new SysError(`perf_event_open(BPF output, cpu ${cpu})`, errno());
  return fd;
}

function ioctl0(fd: number, req: number, what: string): void {
  const r = libcFunc('int ioctl(int fd, unsigned long req, ...)')(fd, req, 'int', 0) as number;
  if (r < 0) throw new SysError(`ioctl(${what})`, errno());
}

export function perfEventEnable(fd: number): void {
  ioctl0(fd, PERF_EVENT_IOC_ENABLE, 'PERF_EVENT_IOC_ENABLE');
}

export function perfEventDisable(fd: number): void {
  ioctl0(fd, PERF_EVENT_IOC_DISABLE, 'PERF_EVENT_IOC_DISABLE');
}

/** Parses a sysfs CPU list such as `0-3,8,10-11`. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new RangeError(`bad CPU list element '${part}' in '${text.trim()}'`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 1 << 16) throw new RangeError(`bad CPU range '${part}'`);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** CPUs that exist or may be hot-plugged (per-CPU map slots are sized by this). */
export function possibleCpus(): number[] {
  return parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
}

/** CPUs online now (a perf event can only be opened on these). */
export function onlineCpus(): number[] {
  return parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
}
