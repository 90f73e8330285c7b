/**
 * perf_event programs (BPF_PROG_TYPE_PERF_EVENT): a sampling event — software (cpu-clock,
 * page-faults, …) or hardware (cycles, instructions, …) — opened on every online CPU (or for one
 * process) with a sample period or frequency, and the program linked to each; it runs on every
 * sample with the sampled registers (struct bpf_perf_event_data).
 */
import { E, SysError } from '../sys/bpf.js';
import { onlineCpus } from '../sys/perf.js';
import { PERF_TYPE, perfEventOpen } from '../sys/perf-probe.js';
import { AttachError, attachFailure, type Attachment, type LinkAttachment, type ProgramRef } from './common.js';
import { attachToPerfEvent } from './perf-link.js';

/** Event names (perf's) → [perf type, config]. */
export const PERF_EVENTS: Record<string, [number, number]> = {
  'cpu-clock': [PERF_TYPE.SOFTWARE, 0],
  'task-clock': [PERF_TYPE.SOFTWARE, 1],
  'page-faults': [PERF_TYPE.SOFTWARE, 2],
  'context-switches': [PERF_TYPE.SOFTWARE, 3],
  'cpu-migrations': [PERF_TYPE.SOFTWARE, 4],
  'minor-faults': [PERF_TYPE.SOFTWARE, 5],
  'major-faults': [PERF_TYPE.SOFTWARE, 6],
  cycles: [PERF_TYPE.HARDWARE, 0],
  'cpu-cycles': [PERF_TYPE.HARDWARE, 0],
  instructions: [PERF_TYPE.HARDWARE, 1],
  'cache-references': [PERF_TYPE.HARDWARE, 2],
  'cache-misses': [PERF_TYPE.HARDWARE, 3],
  'branch-instructions': [PERF_TYPE.HARDWARE, 4],
  'branch-misses': [PERF_TYPE.HARDWARE, 5],
  'bus-cycles': [PERF_TYPE.HARDWARE, 6],
  'ref-cycles': [PERF_TYPE.HARDWARE, 9],
};

export interface PerfEventAttachOptions {
  /** An event name of PERF_EVENTS (default cpu-clock). */
  event?: string;
  /** Run the program every N events (for cpu-clock: N nanoseconds)… */
  samplePeriod?: number;
  /** …or about N times per second per CPU (default 99 when neither is given). */
  sampleFreq?: number;
  /** Only this process (one event that follows it across CPUs); default: every CPU, all processes. */
  pid?: number;
}

/** Several per-CPU attachments as one. */
export class PerfEventAttachment implements Attachment {
  readonly kind = 'perf_event' as const;
  readonly diesWithProcess = true;
  constructor(
    readonly description: string,
    readonly parts: LinkAttachment[],
  ) {}

  detach(): void {
    let first: unknown;
    for (const p of this.parts) {
      try {
        p.detach();
      } catch (e) {
        first ??= e;
      }
    }
    if (first) throw first;
  }
}

/** Attaches a perf_event program to a sampling event on every online CPU (or one process). */
export function attachPerfEvent(prog: ProgramRef, opts: PerfEventAttachOptions = {}): PerfEventAttachment {
  const event = opts.event ?? 'cpu-clock';
  const def = PERF_EVENTS[event];
  if (!def) throw new AttachError(`unknown perf event '${event}'`, `use one of: ${Object.keys(PERF_EVENTS).join(', ')}`);
  if (opts.samplePeriod !== undefined && opts.sampleFreq !== undefined) throw new AttachError('give a sample period or a frequency, not both');
  for (const [k, v] of [['sample period', opts.samplePeriod], ['frequency', opts.sampleFreq]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) throw new AttachError(`bad ${k} ${v} for perf event '${event}'`, 'a positive integer');
  }
  const sampling = opts.samplePeriod !== undefined ? { samplePeriod: opts.samplePeriod } : { sampleFreq: opts.sampleFreq ?? 99 };
  const rate = 'samplePeriod' in sampling ? `every ${sampling.samplePeriod}` : `${sampling.sampleFreq} Hz`;
  const targets = opts.pid !== undefined ? [[opts.pid, -1]] : onlineCpus().map((c) => [-1, c]);
  const parts: LinkAttachment[] = [];
  try {
    for (const [pid, cpu] of targets) {
      const where = pid !== -1 ? `pid ${pid}` : `cpu ${cpu}`;
      let fd: number;
      try {
        fd = perfEventOpen({ type: def[0], config: def[1], ...sampling }, pid!, cpu!, `${event} on ${where}`);
      } catch (e) {
        const noHw = def[0] === PERF_TYPE.HARDWARE && e instanceof SysError && [E.ENOENT, E.EOPNOTSUPP, E.ENODEV].includes(e.errno as never);
        throw attachFailure(e, `perf_event program '${prog.name}' to ${event}`, noHw ? { [(e as SysError).errno]: 'this machine exposes no hardware counters (a VM?): use a software event such as cpu-clock' } : {
          [E.EINVAL]: 'the frequency may be above kernel.perf_event_max_sample_rate; lower it or give a period',
        });
      }
      parts.push(attachToPerfEvent(prog, fd, 'perf_event', `perf event ${event} ${rate} on ${where}`));
    }
  } catch (e) {
    for (const p of parts) p.detach();
    throw attachFailure(e, `perf_event program '${prog.name}' to ${event}`, { [E.EINVAL]: `is '${prog.name}' a perf_event program (SEC("perf_event"))?` });
  }
  const scope = opts.pid !== undefined ? `pid ${opts.pid}` : `${parts.length} CPU${parts.length === 1 ? '' : 's'}`;
  return new PerfEventAttachment(`perf event ${event} ${rate} on ${scope}`, parts);
}
