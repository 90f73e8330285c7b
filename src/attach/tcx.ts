/**
 * tc classifiers through tcx (Linux 6.6+): a bpf_link on the interface's ingress or egress hook
 * (BPF_LINK_CREATE, attach type BPF_TCX_INGRESS/EGRESS, target_ifindex) — no qdisc, no filter.
 * The link detaches when its last fd closes, so a process killed with SIGKILL leaves nothing
 * behind (unless the link was pinned: `objPin(attachment.link, path)`). A hook runs several tcx
 * programs in order (first, last, before/after a program or link); a program that returns
 * TCX_NEXT (TC_ACT_UNSPEC, -1) hands the packet on, any other verdict ends the hook — including
 * the clsact filters, which run after the tcx programs.
 */
import { TsbpfError } from '../errors.js';
import { BPF_F_AFTER, BPF_F_BEFORE, BPF_F_ID, BPF_F_LINK } from '../abi/consts.gen.js';
import { E, SysError, errnoMessage, errnoName, fdNum, linkCreate, linkDetach, linkInfo, progInfo, type Fd, type FdLike } from '../sys/bpf.js';
import { TCX_ATTACH_TYPE, mprogQuery, type MprogQueryResult } from '../sys/bpf-tcx.js';
import { AttachError, type Attachment, type ProgramRef } from './common.js';
import type { TcDirection } from '../sys/rtnetlink-tc.js';


/** A program or link already on the hook, by id or by an fd of ours. */
export type TcxRelative = { progId: number } | { linkId: number } | { prog: FdLike } | { link: FdLike };

/** Where a tcx program goes among the hook's others: `last` (the default) or `first`, or next to one. */
export type TcxOrder = 'first' | 'last' | { before: TcxRelative } | { after: TcxRelative };

export interface TcxAttachOptions {
  order?: TcxOrder;
  /** Attach only if the hook's revision (see `tcxQuery`) is still this one; otherwise ESTALE. */
  expectedRevision?: bigint | number;
}

export class TcxAttachment implements Attachment {
  readonly kind = 'tc' as const;
  readonly mode = 'tcx' as const;
  readonly diesWithProcess = true;
  private detached = false;

  constructor(
    readonly ifindex: number,
    readonly ifname: string,
    readonly direction: TcDirection,
    readonly progId: number,
    readonly linkId: number,
    /** The link fd: pin it with `objPin(link, path)` to keep the program attached after this process. */
    readonly link: Fd,
  ) {}

  get description(): string {
    return `tc ${this.direction} on ${this.ifname} (tcx link id ${this.linkId})`;
  }

  get isAttached(): boolean {
    return !this.detached;
  }

  /**
   * Detaches the program, even when the link is pinned or shared (BPF_LINK_DETACH), and closes our
   * fd. To leave a pinned link attached, close `link` instead.
   */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    if (this.link.closed) return;
    try {
      linkDetach(this.link);
    } catch {
      // Closing the last fd detaches as well (ENODEV: the interface, and the link's hook, are gone).
    }
    this.link.close();
  }
}

/** The kernel has no tcx (before 6.6, or CONFIG_NET_XGRESS off): callers may fall back to netlink. */
export class TcxUnsupportedError extends AttachError {}

function relativeArgs(r: TcxRelative): { flags: number; relativeFd?: FdLike; relativeId?: number } {
  if ('progId' in r) return { flags: BPF_F_ID, relativeId: r.progId };
  if ('linkId' in r) return { flags: BPF_F_ID | BPF_F_LINK, relativeId: r.linkId };
  if ('prog' in r) return { flags: 0, relativeFd: r.prog };
  return { flags: BPF_F_LINK, relativeFd: r.link };
}

/** BPF_LINK_CREATE's flags and relative for an order. */
export function tcxOrderArgs(order: TcxOrder = 'last'): { flags: number; relativeFd?: FdLike; relativeId?: number } {
  if (order === 'first') return { flags: BPF_F_BEFORE };
  if (order === 'last') return { flags: 0 };
  if (typeof order === 'object' && order !== null && 'before' in order) {
    const r = relativeArgs(order.before);
    return { ...r, flags: r.flags | BPF_F_BEFORE };
  }
  if (typeof order === 'object' && order !== null && 'after' in order) {
    const r = relativeArgs(order.after);
    return { ...r, flags: r.flags | BPF_F_AFTER };
  }
  throw new TsbpfError('USAGE', `unknown tcx order ${JSON.stringify(order)}`, "use 'first', 'last', { before: … } or { after: … } with { progId }, { linkId }, { prog } or { link }");
}

function describeRelative(r: TcxRelative): string {
  if ('progId' in r) return `program id ${r.progId}`;
  if ('linkId' in r) return `link id ${r.linkId}`;
  if ('prog' in r) return `program fd ${fdNum(r.prog)}`;
  return `link fd ${fdNum(r.link)}`;
}

/** The tcx programs of one hook, or undefined when the kernel has no tcx. */
export function tcxQuery(ifindex: number, direction: TcDirection): MprogQueryResult | undefined {
  try {
    return mprogQuery({ ifindex, attachType: TCX_ATTACH_TYPE[direction] });
  } catch (e) {
    if (e instanceof SysError && [E.EINVAL, E.EOPNOTSUPP, E.ENOTSUPP].includes(e.errno as never)) return undefined;
    throw e;
  }
}

function failure(e: unknown, prog: ProgramRef, ifindex: number, ifname: string, direction: TcDirection, opts: TcxAttachOptions): unknown {
  if (!(e instanceof SysError)) return e;
  const what = `cannot attach tc program '${prog.name}' to ${ifname} ${direction} via tcx`;
  const why = `${e.op} failed: ${errnoName(e.errno)} (${errnoMessage(e.errno)})`;
  const hook = (): MprogQueryResult | undefined => {
    try {
      return tcxQuery(ifindex, direction);
    } catch {
      return undefined;
    }
  };
  switch (e.errno) {
    case E.EPERM:
    case E.EACCES:
      return e; // keeps the privilege hint
    case E.EINVAL:
    case E.EOPNOTSUPP:
    case E.ENOTSUPP: {
      let supported = true;
      try {
        supported = tcxQuery(ifindex, direction) !== undefined;
      } catch {
        // another failure of the query (the interface went away): not a missing tcx
      }
      if (!supported) {
        return new TcxUnsupportedError(`${what}: this kernel has no tcx (Linux 6.6+ with CONFIG_NET_XGRESS): ${why}`, 'attach it as a clsact filter through netlink instead (mode netlink, `-m netlink`)', e.errno);
      }
      return new AttachError(`${what}: ${why}`, 'is it a classifier (SEC("tc")/SEC("tcx/ingress"), BPF_PROG_TYPE_SCHED_CLS)?', e.errno);
    }
    case E.EEXIST: {
      let id: number | undefined;
      try {
        id = progInfo(prog.fd).id;
      } catch {
        // the message below still says what happened
      }
      const there = hook()?.progs.find((p) => p.progId === id);
      const held = there ? (there.linkId !== undefined ? `tcx link id ${there.linkId}` : 'BPF_PROG_ATTACH, no link') : 'tcx';
      return new AttachError(`${what}: program id ${id ?? '?'} is already attached there (${held})`, 'a program runs once per hook: detach it first, or load another copy', e.errno);
    }
    case E.ESTALE: {
      const now = hook()?.revision;
      return new AttachError(`${what}: the hook changed: its revision is ${now ?? '?'}, not the expected ${opts.expectedRevision}`, 'query the hook again (tcxQuery, or `tsbpf status`) and retry', e.errno);
    }
    case E.ENOENT: {
      const o = opts.order;
      const rel = typeof o === 'object' ? ('before' in o ? o.before : o.after) : undefined;
      return new AttachError(`${what}: ${rel ? `${describeRelative(rel)} is not attached there` : 'not found'} (${why})`, `list the hook's programs with \`tsbpf status\``, e.errno);
    }
    case E.ERANGE:
      return new AttachError(`${what}: ${why}`, 'the hook holds at most 64 tcx programs, and an order names one place (before or after one program or link)', e.errno);
    case E.ENODEV:
      return new AttachError(`${what}: the interface is gone (${why})`, undefined, e.errno);
    default:
      return new AttachError(`${what}: ${why}`, e.hint, e.errno);
  }
}

/**
 * Attaches classifier `prog` to the `direction` hook of interface `ifindex` as a tcx link. A
 * kernel without tcx gives `TcxUnsupportedError` (`attachTc` then falls back to netlink).
 */
export function attachTcx(prog: ProgramRef, ifindex: number, ifname: string, direction: TcDirection, opts: TcxAttachOptions = {}): TcxAttachment {
  const order = tcxOrderArgs(opts.order);
  let link: Fd;
  try {
    link = linkCreate({
      progFd: prog.fd, targetIfindex: ifindex, attachType: TCX_ATTACH_TYPE[direction], flags: order.flags,
      tcx: { relativeFd: order.relativeFd, relativeId: order.relativeId, expectedRevision: opts.expectedRevision },
    });
  } catch (e) {
    throw failure(e, prog, ifindex, ifname, direction, opts);
  }
  try {
    const info = linkInfo(link);
    return new TcxAttachment(ifindex, ifname, direction, info.progId || progInfo(prog.fd).id, info.id, link);
  } catch (e) {
    link.close();
    throw e;
  }
}
