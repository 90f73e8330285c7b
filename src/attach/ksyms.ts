/**
 * Kernel function names for probe targets and their error messages: /proc/kallsyms text symbols
 * (read once, on demand — ~120k lines), plus what this kernel offers for probing at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { nearMatches } from './common.js';

let textSymbols: Set<string> | undefined;

/** Names of the kernel's text (function) symbols, without module suffixes. */
export function kernelFunctions(): Set<string> {
  if (textSymbols) return textSymbols;
  const set = new Set<string>();
  let text = '';
  try {
    text = readFileSync('/proc/kallsyms', 'utf8');
  } catch {
    // No kallsyms (or not readable): no suggestions, no pre-checks.
  }
  for (const line of text.split('\n')) {
    // "ffffffff816b4af0 t do_sys_openat2\t[module]"
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    if (a < 0 || b < 0) continue;
    const type = line[a + 1];
    if (type !== 't' && type !== 'T' && type !== 'w' && type !== 'W') continue;
    const tab = line.indexOf('\t', b + 1);
    set.add(line.slice(b + 1, tab < 0 ? undefined : tab));
  }
  textSymbols = set;
  return set;
}

/** True when the kernel has a function of that name (unknown when kallsyms is unreadable: true). */
export function kernelFunctionKnown(name: string): boolean {
  const all = kernelFunctions();
  return all.size === 0 || all.has(name);
}

/** "did you mean …" for an unknown kernel function. */
export function kernelFunctionHint(name: string): string {
  const near = nearMatches(name, kernelFunctions());
  return near.length ? `did you mean: ${near.join(', ')}? (from /proc/kallsyms)` : 'list kernel functions with `grep -w NAME /proc/kallsyms`';
}

/** The syscall entry function for `ksyscall/NAME` on this architecture (`__x64_sys_openat`). */
export function syscallFunction(name: string): string {
  const prefix = process.arch === 'arm64' ? '__arm64_sys_' : process.arch === 'x64' ? '__x64_sys_' : 'sys_';
  const full = `${prefix}${name}`;
  return kernelFunctionKnown(full) || !kernelFunctionKnown(`sys_${name}`) ? full : `sys_${name}`;
}

/** True when tracefs has the legacy `kprobe_events`/`uprobe_events` file. */
export function hasProbeEvents(tracefs: string, kind: 'kprobe' | 'uprobe'): boolean {
  return existsSync(`${tracefs}/${kind}_events`);
}
