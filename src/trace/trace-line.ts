/**
 * One line of the kernel's trace pipe, e.g.
 *   `            ping-75348   [000] ..s21 47214.233803: bpf_trace_printk: packet  received!`
 * parsed into its columns, and printed back in the seed's format (the kernel's columns without
 * the leading padding of the task name).
 */

export interface TraceLine {
  /** Task (comm) name; may contain spaces and dashes, `<...>` when the kernel lost it. */
  task: string;
  pid: number;
  /** Thread group id, present when the record-tgid option is on. */
  tgid?: number;
  cpu: number;
  /** Latency flags: irqs-off, need-resched, hard/softirq, preempt depth (e.g. `..s21`). */
  flags: string;
  /** Seconds since boot (the trace clock), as a number. */
  timestamp: number;
  /** The timestamp as printed (microsecond precision, kept exact). */
  timestampText: string;
  /** The event name, `bpf_trace_printk` for bpf_printk output. */
  event: string;
  /** The event's text, e.g. `packet  received!`. */
  message: string;
  /** The line as the kernel wrote it. */
  raw: string;
}

// task-pid, optional (tgid), [cpu], flags, timestamp: event: message. The task name is greedy up
// to the last `-digits` before the CPU column, so names with dashes parse correctly.
const LINE = /^\s*(.*)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(\S+)\s+(\d+\.\d+):\s+([^:\s]+):\s?(.*)$/;

/** Parses a trace pipe line, or undefined for lines in another shape (headers, overrun notes). */
export function parseTraceLine(raw: string): TraceLine | undefined {
  const m = LINE.exec(raw);
  if (!m) return undefined;
  const line: TraceLine = {
    task: m[1].trim(),
    pid: Number(m[2]),
    cpu: Number(m[4]),
    flags: m[5],
    timestamp: Number(m[6]),
    timestampText: m[6],
    event: m[7],
    message: m[8],
    raw,
  };
  if (m[3] !== undefined && /^\d+$/.test(m[3])) line.tgid = Number(m[3]);
  return line;
}

/** The line in the seed's format: `ping-75348   [000] ..s21 47214.233803: bpf_trace_printk: packet  received!`. */
export function formatTraceLine(l: TraceLine): string {
  const [secs, frac = ''] = l.timestampText.split('.');
  return `${l.task}-${String(l.pid).padEnd(7)} [${String(l.cpu).padStart(3, '0')}] ${l.flags} ${secs.padStart(5)}.${frac}: ${l.event}: ${l.message}`;
}
