/**
 * tc classifiers (BPF_PROG_TYPE_SCHED_CLS) on an interface's ingress or egress hook, two ways:
 *
 * - tcx (Linux 6.6+, `tcx.ts`): a bpf_link, released with its fd — a process killed with SIGKILL
 *   leaves nothing attached. The default where the kernel has it.
 * - netlink: the clsact qdisc (added when missing) and a `bpf` filter in direct-action mode (the
 *   program's return value is the verdict), through rtnetlink. Detaching removes our filter —
 *   only if it still runs our program — and the qdisc only if we created it and no other filter
 *   is left on it. Netlink filters outlive the process: one killed with SIGKILL leaves its filter
 *   behind (`tc filter del dev IFACE ingress` removes it).
 *
 * Mode `auto` tries tcx and falls back to netlink, with a notice, when the kernel has no tcx;
 * `tcx` and `netlink` force one. On one hook the tcx programs run first and the clsact filters
 * only for packets they pass on with TCX_NEXT (-1), so attaching next to the other kind says so.
 */
import { progInfo } from '../sys/bpf.js';
import { resolveInterface } from '../sys/netif.js';
import { E, SysError } from '../sys/errors.js';
import { TC_PARENT, addBpfFilter, addClsact, deleteClsact, deleteFilter, hasClsact, listFilters, type TcDirection } from '../sys/rtnetlink-tc.js';
import { AttachError, attachFailure, type Attachment, type ProgramRef } from './common.js';
import { TcxAttachment, TcxUnsupportedError, attachTcx, tcxQuery, type TcxAttachOptions } from './tcx.js';

export type { TcDirection } from '../sys/rtnetlink-tc.js';
export const TC_DIRECTIONS: readonly TcDirection[] = ['ingress', 'egress'];

/** How to attach: `auto` (tcx, else netlink), `tcx` or `netlink` (a clsact filter). */
export type TcAttachMode = 'auto' | 'tcx' | 'netlink';
export const TC_ATTACH_MODES: readonly TcAttachMode[] = ['auto', 'tcx', 'netlink'];

export interface TcAttachOptions extends TcxAttachOptions {
  /** ingress (default) or egress. */
  direction?: TcDirection;
  /** auto (default), tcx or netlink. `order`/`expectedRevision` are tcx's, `priority`/`handle` netlink's: giving them picks that mode. */
  mode?: TcAttachMode;
  /** Netlink filter priority (1-65535); default: the kernel picks one below the existing filters. */
  priority?: number;
  /** Netlink filter handle; default: the kernel picks. */
  handle?: number;
  /** Hears about the netlink fallback and about programs of the other kind on the hook (one line each). */
  onNotice?: (message: string) => void;
}

/** What attachTc returns: a tcx link or a netlink filter (`mode` tells which). */
export type TcAnyAttachment = TcxAttachment | TcAttachment;

/** A netlink-attached classifier: a `bpf` filter on the clsact qdisc. */
export class TcAttachment implements Attachment {
  readonly kind = 'tc' as const;
  readonly mode = 'netlink' as const;
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

/** Attaches classifier `prog` to interface `iface` (name or index): a tcx link or a clsact filter (see `mode`). */
export function attachTc(prog: ProgramRef, iface: string | number, opts: TcAttachOptions = {}): TcAnyAttachment {
  const direction = opts.direction ?? 'ingress';
  if (!TC_DIRECTIONS.includes(direction)) {
    throw new AttachError(`unknown tc direction '${String(direction)}'`, `use one of: ${TC_DIRECTIONS.join(', ')}`);
  }
  const mode = opts.mode ?? 'auto';
  if (!TC_ATTACH_MODES.includes(mode)) throw new AttachError(`unknown tc mode '${String(mode)}'`, `use one of: ${TC_ATTACH_MODES.join(', ')}`);
  if (opts.priority !== undefined && (!Number.isInteger(opts.priority) || opts.priority < 1 || opts.priority > 0xffff)) {
    throw new AttachError(`tc priority ${opts.priority} is out of range`, 'use 1-65535, or leave it out and the kernel picks one');
  }
  const netlinkOnly = opts.priority !== undefined || opts.handle !== undefined;
  const tcxOnly = opts.order !== undefined || opts.expectedRevision !== undefined;
  if (netlinkOnly && (tcxOnly || mode === 'tcx')) {
    throw new AttachError('priority and handle are settings of netlink (clsact) filters, not of tcx links', tcxOnly ? 'give either priority/handle (netlink) or order/expectedRevision (tcx)' : "use mode 'netlink', or leave priority and handle out");
  }
  if (tcxOnly && mode === 'netlink') throw new AttachError('order and expectedRevision are settings of tcx links, not of netlink (clsact) filters', "use mode 'tcx' (or auto), or leave them out");
  const { index, name } = resolveInterface(iface);
  const notice = opts.onNotice ?? ((): void => {});
  const netlink = (): TcAttachment => {
    const a = attachTcNetlink(prog, index, name, direction, opts);
    otherKindNotice(a, notice);
    return a;
  };
  if (mode === 'netlink' || (mode === 'auto' && netlinkOnly)) return netlink();
  return tcAutoAttach(() => attachTcx(prog, index, name, direction, opts), mode === 'auto' && !tcxOnly ? netlink : undefined, notice, (a) => otherKindNotice(a, notice));
}

/**
 * The auto mode's choice: `tcx()`, and when that reports a kernel without tcx, `netlink()` (if
 * given) with a notice saying why. Exported for tests (a kernel without tcx is simulated there).
 */
export function tcAutoAttach(tcx: () => TcxAttachment, netlink: (() => TcAttachment) | undefined, notice: (m: string) => void, attached: (a: TcxAttachment) => void = () => {}): TcAnyAttachment {
  try {
    const a = tcx();
    attached(a);
    return a;
  } catch (e) {
    if (!(e instanceof TcxUnsupportedError) || !netlink) throw e;
    const a = netlink();
    const why = e.message.replace(/^.*?: this kernel has no tcx/, 'this kernel has no tcx');
    try {
      notice(`${why}; attached as a clsact filter via netlink instead: ${a.description} (left attached if this process is killed)`);
    } catch (err) {
      a.detach(); // the caller never gets the attachment: nothing may own the filter then
      throw err;
    }
    return a;
  }
}

/** Tells about the programs of the other kind on the same hook (best effort: the attach already succeeded). */
function otherKindNotice(a: TcAnyAttachment, notice: (m: string) => void): void {
  try {
    if (a.mode === 'tcx') {
      if (!hasClsact(a.ifindex)) return;
      const filters = listFilters(a.ifindex, TC_PARENT[a.direction]);
      if (!filters.length) return;
      const list = filters.map((f) => `${f.bpf?.name ?? f.kind} prio ${f.prio}`).join(', ');
      notice(`${a.ifname} ${a.direction} also has ${filters.length} clsact filter${filters.length > 1 ? 's' : ''} (${list}): tcx programs run first, and the filters see only the packets they pass on with TCX_NEXT (-1)`);
      return;
    }
    const others = tcxQuery(a.ifindex, a.direction)?.progs ?? [];
    if (!others.length) return;
    const list = others.map((p) => `prog id ${p.progId}${p.linkId !== undefined ? ` link id ${p.linkId}` : ''}`).join(', ');
    notice(`${a.ifname} ${a.direction} also has ${others.length} tcx program${others.length > 1 ? 's' : ''} (${list}): they run first, and this filter sees only the packets they pass on with TCX_NEXT (-1)`);
  } catch {
    // Listing failed: nothing to add.
  }
}

/** The netlink way: clsact qdisc (added when missing) + bpf direct-action filter. */
function attachTcNetlink(prog: ProgramRef, index: number, name: string, direction: TcDirection, opts: TcAttachOptions): TcAttachment {
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
