/**
 * Kernel and user probes. The modern way is a perf event of the `kprobe`/`uprobe` PMU
 * (/sys/bus/event_source/devices/K/type; the `retprobe` format bit selects return probes; the
 * function name or binary path goes in config1, the offset in config2), so the probe exists only
 * while its fd does. Kernels without the PMU get the legacy way: a probe event written to
 * tracefs `kprobe_events`/`uprobe_events` (group `tsbpf`, named after our pid), opened as a
 * tracepoint, and removed again on detach.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { E, SysError } from '../sys/bpf.js';
import { ensureTracefs } from '../sys/mount.js';
import { PERF_TYPE, perfEventOpen, pmuFormatBit, pmuType } from '../sys/perf-probe.js';
import { AttachError, attachFailure, type AttachKind, type ProgramRef } from './common.js';
import { hasProbeEvents } from './ksyms.js';
import { attachToPerfEvent } from './perf-link.js';
import type { LinkAttachment } from './common.js';

let probeCounter = 0;

export interface ProbeTarget {
  kind: 'kprobe' | 'uprobe';
  retprobe: boolean;
  /** kprobe: function name; uprobe: binary path. */
  where: string;
  /** kprobe: offset into the function; uprobe: file offset. */
  offset: bigint;
  /** uprobe: only this process (default every process). */
  pid?: number;
  /** For messages: `kprobe do_sys_openat2`, `uretprobe /usr/bin/bash:readline`. */
  label: string;
  /** `tracefs`: use the legacy probe events even when the PMU exists (older kernels' way; for tests). */
  method?: 'auto' | 'tracefs';
}

/** Why this kernel cannot probe at all, or undefined when it can. */
export function probeUnsupportedReason(kind: 'kprobe' | 'uprobe'): string | undefined {
  if (pmuType(kind) !== undefined) return undefined;
  let tracefs: string | undefined;
  try {
    tracefs = ensureTracefs();
  } catch {
    tracefs = undefined;
  }
  if (tracefs && hasProbeEvents(tracefs, kind)) return undefined;
  return kind === 'kprobe'
    ? 'this kernel has no kprobes (no kprobe PMU in /sys/bus/event_source/devices, no kprobe_events in tracefs): it was built without CONFIG_KPROBES'
    : 'this kernel has no uprobes (no uprobe PMU, no uprobe_events in tracefs): it was built without CONFIG_UPROBE_EVENTS';
}

/** Opens the probe's perf event and attaches `prog` to it. `onMissing` explains ENOENT/EINVAL (unknown function, bad offset). */
export function attachProbe(prog: ProgramRef, t: ProbeTarget, onMissing: (e: SysError) => unknown): LinkAttachment {
  const kind: AttachKind = t.kind === 'kprobe' ? (t.retprobe ? 'kretprobe' : 'kprobe') : t.retprobe ? 'uretprobe' : 'uprobe';
  const what = `${kind} program '${prog.name}' to ${t.label}`;
  const pid = t.pid ?? -1;
  const cpu = pid === -1 ? 0 : -1; // system-wide probes still need a CPU; they fire on all of them
  const type = t.method === 'tracefs' ? undefined : pmuType(t.kind);
  let fd: number;
  let after: (() => void) | undefined;
  try {
    if (type !== undefined) {
      const bit = pmuFormatBit(t.kind, 'retprobe');
      if (t.retprobe && bit === undefined) throw new AttachError(`cannot attach ${what}: the ${t.kind} PMU has no retprobe format bit`);
      const config = t.retprobe ? 1n << BigInt(bit!) : 0n;
      fd = perfEventOpen({ type, config, config1: t.where, config2: t.offset, samplePeriod: 1 }, pid, cpu, t.label);
    } else {
      const legacy = addProbeEvent(t);
      after = legacy.remove;
      try {
        fd = perfEventOpen({ type: PERF_TYPE.TRACEPOINT, config: legacy.id, samplePeriod: 1 }, pid, cpu, `${t.label} (tracefs ${legacy.event})`);
      } catch (e) {
        legacy.remove();
        throw e;
      }
    }
  } catch (e) {
    if (e instanceof SysError && (e.errno === E.ENOENT || e.errno === E.EINVAL)) throw onMissing(e);
    if (e instanceof SysError && (e.errno === E.EOPNOTSUPP || e.errno === E.ENOTSUPP)) {
      throw new AttachError(`cannot attach ${what}: ${e.message}`, probeUnsupportedReason(t.kind) ?? 'this probe point cannot be probed', e.errno);
    }
    throw attachFailure(e, what);
  }
  try {
    return attachToPerfEvent(prog, fd, kind, t.label, after);
  } catch (e) {
    throw attachFailure(e, what, { [E.EINVAL]: `is '${prog.name}' a ${t.kind} program (SEC("${kind}/…"), BPF_PROG_TYPE_KPROBE)?` });
  }
}

/** The legacy way: a probe event in tracefs. Returns its tracepoint id and how to remove it. */
function addProbeEvent(t: ProbeTarget): { id: number; event: string; remove: () => void } {
  const root = ensureTracefs();
  const file = `${root}/${t.kind}_events`;
  const event = `tsbpf/p${process.pid}_${++probeCounter}`;
  const place = t.kind === 'kprobe' ? `${t.where}${t.offset ? `+${t.offset}` : ''}` : `${t.where}:0x${t.offset.toString(16)}`;
  try {
    appendFileSync(file, `${t.retprobe ? 'r' : 'p'}:${event} ${place}\n`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const errno = code === 'ENOENT' ? E.ENOENT : code === 'EINVAL' ? E.EINVAL : code === 'EPERM' ? E.EPERM : E.EIO;
    throw new SysError(`write(${file}, '${place}')`, errno);
  }
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    try {
      appendFileSync(file, `-:${event}\n`);
    } catch {
      // Busy (still open elsewhere) or gone: nothing more we can do.
    }
  };
  try {
    const id = Number(readFileSync(`${root}/events/${event}/id`, 'utf8').trim());
    return { id, event, remove };
  } catch (e) {
    remove();
    throw new AttachError(`created ${t.kind} event ${event} but cannot read its id: ${(e as Error).message}`);
  }
}
