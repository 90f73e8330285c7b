/**
 * tc classifiers (BPF_PROG_TYPE_SCHED_CLS) on an interface's clsact hooks, through rtnetlink: the
 * clsact qdisc is added when missing, then a `bpf` filter in direct-action mode (the program's
 * return value is the verdict). Detaching removes our filter — only if it still runs our program
 * — and the qdisc only if we created it and no other filter is left on it.
 *
 * Netlink filters outlive the process: one killed with SIGKILL leaves its filter behind
 * (`tc filter del dev IFACE ingress` removes it). TCX links (BPF_TCX_INGRESS/EGRESS, Linux 6.6),
 * which die with their fd, are not in this build's uapi tables (6.1), so they are not used.
 */
import { progInfo } from '../sys/bpf.js';
import { resolveInterface } from '../sys/netif.js';
import { E, SysError } from '../sys/errors.js';
import { TC_PARENT, addBpfFilter, addClsact, deleteClsact, deleteFilter, listFilters, type TcDirection } from '../sys/rtnetlink-tc.js';
import { AttachError, attachFailure, type Attachment, type ProgramRef } from './common.js';

export type { TcDirection } from '../sys/rtnetlink-tc.js';
export const TC_DIRECTIONS: readonly TcDirection[] = ['ingress', 'egress'];

export interface TcAttachOptions {
  /** ingress (default) or egress. */
  direction?: TcDirection;
  /** Filter priority (1-65535); default: the kernel picks one below the existing filters. */
  priority?: number;
  /** Filter handle; default: the kernel picks. */
  handle?: number;
}

export class TcAttachment implements Attachment {
  readonly kind = 'tc' as const;
  readonly diesWithProcess = false;
  private detached = false;

  constructor(
    readonly ifindex: number,
    readonly ifname: string,
    readonly direction: TcDirection,
    readonly priority: number,
    readonly handle: number,
    readonly progId: number,
    /** True when we added the clsact qdisc (and so may remove it). */
    readonly createdQdisc: boolean,
  ) {}

  get description(): string {
    return `tc ${this.direction} on ${this.ifname} (clsact, bpf direct-action filter prio ${this.priority} handle 0x${this.handle.toString(16)})`;
  }

  get isAttached(): boolean {
    return !this.detached;
  }

  detach(): void {
    if (this.detached) return;
    this.detached = true;
    const parent = TC_PARENT[this.direction];
    try {
      const ours = listFilters(this.ifindex, parent).find((f) => f.prio === this.priority && f.handle === this.handle && f.bpf?.progId === this.progId);
      if (ours) deleteFilter(this.ifindex, parent, this.priority, this.handle);
      if (this.createdQdisc) {
        const left = TC_DIRECTIONS.some((d) => listFilters(this.ifindex, TC_PARENT[d]).length > 0);
        if (!left) deleteClsact(this.ifindex);
      }
    } catch (e) {
      // ENODEV: the interface is gone, and our filter with it. EINVAL/ENOENT: the qdisc is gone.
      if (e instanceof SysError && [E.ENODEV, E.EINVAL, E.ENOENT].includes(e.errno as never)) return;
      throw e;
    }
  }
}

/** Attaches classifier `prog` to interface `iface` (name or index). */
export function attachTc(prog: ProgramRef, iface: string | number, opts: TcAttachOptions = {}): TcAttachment {
  const direction = opts.direction ?? 'ingress';
  if (!TC_DIRECTIONS.includes(direction)) {
    throw new AttachError(`unknown tc direction '${String(direction)}'`, `use one of: ${TC_DIRECTIONS.join(', ')}`);
  }
  if (opts.priority !== undefined && (!Number.isInteger(opts.priority) || opts.priority < 1 || opts.priority > 0xffff)) {
    throw new AttachError(`tc priority ${opts.priority} is out of range`, 'use 1-65535, or leave it out and the kernel picks one');
  }
  const { index, name } = resolveInterface(iface);
  const what = `tc program '${prog.name}' to ${name} ${direction}`;
  let created: boolean;
  try {
    created = addClsact(index);
  } catch (e) {
    throw attachFailure(e, what, { [E.EOPNOTSUPP]: 'the kernel lacks the clsact qdisc (CONFIG_NET_SCH_INGRESS)' });
  }
  try {
    const progId = progInfo(prog.fd).id;
    const fd = typeof prog.fd === 'number' ? prog.fd : prog.fd.value;
    const f = addBpfFilter(index, TC_PARENT[direction], { progFd: fd, name: `${prog.name}:[${progId}]`, prio: opts.priority, handle: opts.handle });
    return new TcAttachment(index, name, direction, f.prio, f.handle, progId, created);
  } catch (e) {
    if (created) {
      try {
        deleteClsact(index);
      } catch {
        // Best effort: the error below is the one that matters.
      }
    }
    throw attachFailure(e, what, {
      [E.EINVAL]: 'is it a classifier (SEC("tc")/SEC("classifier"), BPF_PROG_TYPE_SCHED_CLS)? the kernel log or `tc filter add` may say more',
      [E.EEXIST]: 'a filter with that priority and handle exists; choose another priority',
    });
  }
}
