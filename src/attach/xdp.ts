/**
 * XDP attach by interface name through a bpf_link (BPF_LINK_CREATE, attach type BPF_XDP): the
 * program detaches when the link's last fd closes, so a process that dies — even by SIGKILL —
 * leaves nothing behind. Kernels without XDP links (EINVAL, before 5.9) fall back to rtnetlink,
 * where the attachment outlives the process and we detach explicitly.
 *
 * Modes: `native` (driver), `skb` (generic), `hw` (offload), and `auto`: native, falling back to
 * skb with a notice when the driver cannot run XDP itself (e.g. `lo`). An interface that already
 * has a program is refused, naming it, unless `force` is given.
 */
import { TsbpfError } from '../errors.js';
import { E, Fd, SysError, errnoMessage, fdNum, linkCreate, linkDetach, getFdById, progInfo, type FdLike } from '../sys/bpf.js';
import { resolveInterface } from '../sys/netif.js';
import { NetlinkError } from '../sys/netlink.js';
import { XDP_FLAGS, setLinkXdp, xdpModeFlag, type XdpMode } from '../sys/rtnetlink.js';
import { xdpOn, type XdpProgramStatus } from './xdp-status.js';

const BPF_XDP = 37;

export type XdpAttachMode = 'auto' | XdpMode;
export const XDP_ATTACH_MODES: readonly XdpAttachMode[] = ['auto', 'native', 'skb', 'hw'];

export interface XdpProgramRef {
  fd: FdLike;
  /** For messages. */
  name: string;
}

export interface XdpAttachOptions {
  mode?: XdpAttachMode;
  /** Replace (detach) whatever XDP program the interface already has. */
  force?: boolean;
  /** `link` (default: links, netlink when the kernel has no XDP links) or `netlink` only. */
  method?: 'auto' | 'netlink';
  /** Hears about fallbacks and replacements (one line each). */
  onNotice?: (message: string) => void;
}

/** The interface already runs an XDP program and `force` was not given. */
export class XdpBusyError extends TsbpfError {
  constructor(
    readonly ifname: string,
    readonly existing: XdpProgramStatus[],
  ) {
    const e = existing[0];
    const what = `'${e.progName || '?'}' (prog id ${e.progId}, ${e.mode} mode${e.linkId !== undefined ? `, link id ${e.linkId}` : ', attached via netlink'})`;
    super('XDP', `interface '${ifname}' already has XDP program ${what}`, `pass --force to replace it, or detach it first${e.linkId === undefined ? ` (\`ip link set dev ${ifname} xdp off\`)` : ' (stop the process that owns the link)'}`);
  }
}

/** A failed attach: names the interface, the mode and the kernel's reason. */
export class XdpAttachError extends TsbpfError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly errno: number,
  ) {
    super('XDP', message, hint);
  }
}

export class XdpAttachment {
  readonly kind = 'xdp' as const;
  private detached = false;

  constructor(
    readonly ifindex: number,
    readonly ifname: string,
    readonly mode: XdpMode,
    readonly method: 'link' | 'netlink',
    readonly progId: number,
    private readonly progFd: number,
    /** The link fd (method 'link'); closing it detaches. */
    readonly link?: Fd,
  ) {}

  get isAttached(): boolean {
    return !this.detached;
  }

  /** For the shared Attachment interface (src/attach/common.ts). */
  get description(): string {
    return `xdp on ${this.ifname} (${this.mode} mode, ${this.method === 'link' ? 'bpf_link' : 'netlink'})`;
  }

  /** A link dies with its fd; a netlink attachment stays until detached. */
  get diesWithProcess(): boolean {
    return this.method === 'link';
  }

  /** Detaches the program (idempotent). A link is detached even if another fd to it exists. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    if (this.link) {
      try {
        linkDetach(this.link);
      } catch {
        // Old kernels lack LINK_DETACH for XDP; closing the last fd detaches as well.
      }
      this.link.close();
      return;
    }
    // Netlink: remove the program only if it is still ours (XDP_FLAGS_REPLACE + expected fd).
    try {
      setLinkXdp(this.ifindex, -1, xdpModeFlag(this.mode) | XDP_FLAGS.REPLACE, this.progFd);
    } catch (e) {
      if (!(e instanceof NetlinkError && (e.errno === E.EEXIST || e.errno === E.ENODEV))) throw e;
      // EEXIST: someone replaced our program; ENODEV: the interface is gone. Nothing of ours is left.
    }
  }
}

const MODE_HINT: Record<XdpMode, string> = {
  native: 'the driver must support XDP; try `-m skb` (generic mode works on every interface)',
  skb: 'generic XDP should work on any interface; check the kernel log (dmesg)',
  hw: 'hardware offload needs a NIC that supports it (e.g. Netronome) and a program loaded for that device; try `-m native` or `-m skb`',
};

function describeFailure(e: unknown, ifname: string, mode: XdpMode, prog: string): XdpAttachError | unknown {
  if (!(e instanceof SysError)) return e;
  if (e.errno === E.EPERM || e.errno === E.EACCES) return e; // keeps the privilege hint
  const text = e.errno === E.EOPNOTSUPP || e.errno === E.ENOTSUPP ? 'not supported by this interface' : errnoMessage(e.errno);
  const why = `${e.code} (${text})${e instanceof NetlinkError && e.extack ? `: ${e.extack}` : ''}`;
  const hint = e.errno === E.EOPNOTSUPP || e.errno === E.ENOTSUPP || e.errno === E.EINVAL ? MODE_HINT[mode] : e.hint;
  return new XdpAttachError(`cannot attach XDP program '${prog}' to '${ifname}' in ${mode} mode: ${why}`, hint, e.errno);
}

function attachOnce(prog: XdpProgramRef, ifindex: number, mode: XdpMode, method: 'auto' | 'netlink'): { link?: Fd; method: 'link' | 'netlink' } {
  const flags = xdpModeFlag(mode);
  if (method === 'auto') {
    try {
      return { link: linkCreate({ progFd: prog.fd, targetIfindex: ifindex, attachType: BPF_XDP, flags }), method: 'link' };
    } catch (e) {
      // EINVAL: this kernel cannot make XDP links (or the request is bad: netlink then says why).
      if (!(e instanceof SysError && e.errno === E.EINVAL)) throw e;
    }
  }
  setLinkXdp(ifindex, fdNum(prog.fd), flags | XDP_FLAGS.UPDATE_IF_NOEXIST);
  return { method: 'netlink' };
}

/** Attaches `prog` to interface `iface` (name or index). */
export function attachXdp(prog: XdpProgramRef, iface: string | number, opts: XdpAttachOptions = {}): XdpAttachment {
  const mode = opts.mode ?? 'auto';
  if (!XDP_ATTACH_MODES.includes(mode)) {
    throw new TsbpfError('USAGE', `unknown XDP mode '${String(mode)}'`, `use one of: ${XDP_ATTACH_MODES.join(', ')}`);
  }
  const { index, name } = resolveInterface(iface);
  const existing = xdpOn(index);
  if (existing.length) {
    if (!opts.force) throw new XdpBusyError(name, existing);
    for (const x of existing) {
      detachExisting(x);
      opts.onNotice?.(`replaced XDP program '${x.progName || '?'}' (prog id ${x.progId}, ${x.mode} mode) on '${name}'`);
    }
  }
  const tryMode = (m: XdpMode): XdpAttachment => {
    try {
      const r = attachOnce(prog, index, m, opts.method ?? 'auto');
      const progId = progInfo(prog.fd).id;
      return new XdpAttachment(index, name, m, r.method, progId, fdNum(prog.fd), r.link);
    } catch (e) {
      if (e instanceof SysError && e.errno === E.EBUSY) {
        const now = xdpOn(index);
        if (now.length) throw new XdpBusyError(name, now); // attached by someone else meanwhile
      }
      throw describeFailure(e, name, m, prog.name);
    }
  };
  if (mode !== 'auto') return tryMode(mode);
  try {
    return tryMode('native');
  } catch (e) {
    const fallback = e instanceof XdpAttachError && [E.EOPNOTSUPP, E.ENOTSUPP, E.EINVAL, E.ERANGE].includes(e.errno as never);
    if (!fallback) throw e;
    const a = tryMode('skb');
    opts.onNotice?.(`native mode failed on '${name}' (${(e as Error).message.replace(/^.*native mode: /, '')}); attached in skb (generic) mode instead`);
    return a;
  }
}

/** Removes an XDP program someone else attached (for `force`). */
function detachExisting(x: XdpProgramStatus): void {
  if (x.linkId !== undefined) {
    const link = getFdById('link', x.linkId);
    try {
      linkDetach(link);
    } finally {
      link.close();
    }
    return;
  }
  setLinkXdp(x.ifindex, -1, xdpModeFlag(x.mode));
}

/** Detaches every XDP program from an interface (links and netlink attachments). Returns what was removed. */
export function detachAllXdp(iface: string | number): XdpProgramStatus[] {
  const { index } = resolveInterface(iface);
  const existing = xdpOn(index);
  for (const x of existing) detachExisting(x);
  return existing;
}
