/**
 * CPU counts the kernel uses for BPF: per-CPU map values have one slot per *possible* CPU (not
 * online), and perf event arrays need one entry per possible CPU.
 */
import { readFileSync } from 'node:fs';
import { TsbpfError } from '../errors.js';

/** Parses a kernel CPU list such as `0-3,5,7-8` into sorted CPU numbers. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new TsbpfError('SYS', `cannot parse CPU list '${text.trim()}' (at '${part}')`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a || b - a > 1 << 16) throw new TsbpfError('SYS', `bad CPU range '${part}' in '${text.trim()}'`);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

let possible: number | undefined;

/** Number of possible CPUs (highest possible CPU + 1), from /sys/devices/system/cpu/possible. */
export function possibleCpus(): number {
  if (possible === undefined) {
    const list = parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
    possible = list.length ? list[list.length - 1] + 1 : 1;
  }
  return possible;
}

/** The online CPUs, from /sys/devices/system/cpu/online. */
export function onlineCpus(): number[] {
  return parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
}
