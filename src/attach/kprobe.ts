/**
 * kprobe/kretprobe programs on a kernel function (probe.ts does the perf-event work): an unknown
 * function is an error listing the nearest names in /proc/kallsyms, and a kernel without kprobes
 * says so and points at fentry/fexit, which need only BTF and trampolines.
 */
import { AttachError, type ProgramRef } from './common.js';
import { kernelFunctionHint, kernelFunctionKnown } from './ksyms.js';
import { attachProbe, probeUnsupportedReason } from './probe.js';
import type { LinkAttachment } from './common.js';

export interface KprobeOptions {
  /** A return probe (kretprobe): runs when the function returns. */
  retprobe?: boolean;
  /** Bytes into the function (entry probes only). */
  offset?: number;
  /** `tracefs`: a legacy kprobe_events probe even where the kprobe PMU exists. */
  method?: 'auto' | 'tracefs';
}

/** Parses `FUNC` or `FUNC+OFFSET` (as in `kprobe/do_sys_openat2+4`). */
export function parseKprobeTarget(spec: string): { func: string; offset: number } {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(spec);
  if (!m) throw new AttachError(`'${spec}' is not a kernel function (FUNCTION or FUNCTION+OFFSET)`, 'e.g. kprobe/do_sys_openat2, or --target do_sys_openat2');
  return { func: m[1]!, offset: m[2] ? Number(m[2]) : 0 };
}

/** Attaches a kprobe (or kretprobe) program to kernel function `func`. */
export function attachKprobe(prog: ProgramRef, func: string, opts: KprobeOptions = {}): LinkAttachment {
  const retprobe = opts.retprobe ?? false;
  const kind = retprobe ? 'kretprobe' : 'kprobe';
  if (retprobe && opts.offset) throw new AttachError(`a kretprobe cannot have an offset (${func}+${opts.offset})`, 'return probes attach to the function itself');
  const unsupported = probeUnsupportedReason('kprobe');
  if (unsupported) {
    throw new AttachError(`cannot attach ${kind} program '${prog.name}' to ${func}: ${unsupported}`, `trace the function with fentry/${func} or fexit/${func} instead (BTF trampolines), or a tracepoint`);
  }
  if (!kernelFunctionKnown(func)) throw new AttachError(`unknown kernel function '${func}' for ${kind} '${prog.name}'`, kernelFunctionHint(func));
  const label = `${kind} ${func}${opts.offset ? `+${opts.offset}` : ''}`;
  return attachProbe(prog, { kind: 'kprobe', retprobe, where: func, offset: BigInt(opts.offset ?? 0), label, method: opts.method }, (e) =>
    new AttachError(`cannot attach ${kind} program '${prog.name}' to ${func}: ${e.code} (the kernel cannot probe it${opts.offset ? ' at that offset' : ''})`,
      kernelFunctionKnown(func) ? 'the function may be inlined, notrace or blacklisted for kprobes (see /sys/kernel/debug/kprobes/blacklist)' : kernelFunctionHint(func), e.errno));
}
