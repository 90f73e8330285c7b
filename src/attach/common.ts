/**
 * What every attachment shares: the program reference it takes, the `Attachment` it returns
 * (with `detach()`, idempotent), the typed error with a hint, and link-backed attachments whose
 * kernel object dies with its last fd, so a killed process leaves nothing attached.
 */
import { closeSync } from 'node:fs';
import { TsbpfError } from '../errors.js';
import { E, SysError, errnoMessage, linkDetach, type Fd, type FdLike } from '../sys/bpf.js';
import { NetlinkError } from '../sys/netlink.js';

export interface ProgramRef {
  fd: FdLike;
  /** For messages. */
  name: string;
}

/** The kinds of attachment src/attach makes. */
export type AttachKind =
  | 'xdp' | 'tc' | 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe' | 'tracepoint' | 'raw_tracepoint'
  | 'tracing' | 'cgroup' | 'perf_event' | 'socket_filter' | 'sk_msg' | 'sk_skb';

export interface Attachment {
  readonly kind: AttachKind;
  /** One line for people: `kprobe do_sys_openat2 (perf link)`, `tc ingress on eth0 (prio 49152, handle 1)`. */
  readonly description: string;
  /**
   * True when the kernel removes the attachment by itself once this process's fds are gone (a
   * bpf_link, a perf event fd, a socket): a process killed with SIGKILL leaves nothing behind.
   */
  readonly diesWithProcess: boolean;
  /** Removes the attachment (idempotent). */
  detach(): void;
}

/** An attach request the kernel or the system refused, or that names something that is not there. */
export class AttachError extends TsbpfError {
  constructor(message: string, hint?: string, readonly errno?: number) {
    super('ATTACH', message, hint);
  }
}

/** Turns a SysError into an AttachError naming what was being attached (privilege errors keep their hint). */
export function attachFailure(e: unknown, what: string, hints: Partial<Record<number, string>> = {}): unknown {
  if (!(e instanceof SysError)) return e;
  if ((e.errno === E.EPERM || e.errno === E.EACCES) && !hints[e.errno]) return e;
  const extack = e instanceof NetlinkError && e.extack ? `: ${e.extack}` : '';
  return new AttachError(`cannot attach ${what}: ${e.op} failed: ${e.code} (${errnoMessage(e.errno)})${extack}`, hints[e.errno] ?? e.hint, e.errno);
}

export interface LinkAttachmentHooks {
  /** Runs first on detach, while the owned fds are still open (e.g. BPF_PROG_DETACH on a cgroup fd). */
  before?: () => void;
  /** Runs last on detach (e.g. removing a tracefs probe event). */
  after?: () => void;
  /** False when the kernel keeps the attachment after our fds close (PROG_ATTACH fallbacks). */
  diesWithProcess?: boolean;
}

/** An attachment held by a bpf_link fd (plus other fds it owns, e.g. the perf event under a perf link). */
export class LinkAttachment implements Attachment {
  private detached = false;
  readonly diesWithProcess: boolean;

  constructor(
    readonly kind: AttachKind,
    readonly description: string,
    /** The link fd, or undefined when the attachment is held by `owned` fds only (e.g. PERF_EVENT_IOC_SET_BPF). */
    readonly link: Fd | undefined,
    private readonly owned: { close(): void }[] = [],
    private readonly hooks: LinkAttachmentHooks = {},
  ) {
    this.diesWithProcess = hooks.diesWithProcess ?? true;
  }

  get isAttached(): boolean {
    return !this.detached;
  }

  detach(): void {
    if (this.detached) return;
    this.detached = true;
    try {
      this.hooks.before?.();
      if (this.link) {
        try {
          linkDetach(this.link);
        } catch {
          // Link types without LINK_DETACH (or old kernels): closing the last fd detaches.
        }
        this.link.close();
      }
    } finally {
      for (const o of this.owned) o.close();
      this.hooks.after?.();
    }
  }
}

/** A raw fd number as something with close() (idempotent). */
export function closer(fd: number): { close(): void } {
  let open = true;
  return {
    close: () => {
      if (!open) return;
      open = false;
      try {
        closeSync(fd);
      } catch {
        // EBADF: closed behind our back; nothing left to release.
      }
    },
  };
}

/** Levenshtein distance, bounded: stops early above `max` (for "did you mean" lists). */
export function editDistance(a: string, b: string, max = 8): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The names closest to `name` among `candidates`: substring matches first, then by edit distance. */
export function nearMatches(name: string, candidates: Iterable<string>, limit = 5): string[] {
  const lower = name.toLowerCase();
  const scored: [number, string][] = [];
  const maxDist = Math.max(2, Math.floor(name.length / 3));
  for (const c of candidates) {
    if (c === name) continue;
    const cl = c.toLowerCase();
    let score: number;
    if (cl.includes(lower) || (lower.length >= 4 && lower.includes(cl) && cl.length >= 4)) score = Math.abs(c.length - name.length) / 100;
    else {
      const d = editDistance(lower, cl, maxDist);
      if (d > maxDist) continue;
      score = d;
    }
    scored.push([score, c]);
  }
  const prefix = (c: string): number => {
    let i = 0;
    while (i < c.length && i < name.length && c[i] === name[i]) i++;
    return i;
  };
  // Closest first; among equals, the longest shared prefix (typos are rarely at the start), then the shortest.
  scored.sort((x, y) => x[0] - y[0] || prefix(y[1]) - prefix(x[1]) || x[1].length - y[1].length || (x[1] < y[1] ? -1 : 1));
  return [...new Set(scored.map((s) => s[1]))].slice(0, limit);
}
