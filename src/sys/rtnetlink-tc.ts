/**
 * Traffic control over rtnetlink, for BPF classifiers: the clsact qdisc (its ingress and egress
 * hooks hold filters, no classes) and `bpf` filters in direct-action mode (the program's return
 * value is the verdict: TC_ACT_OK, TC_ACT_SHOT, …). Layouts from uapi linux/rtnetlink.h
 * (struct tcmsg), linux/pkt_sched.h (handles) and linux/pkt_cls.h (TCA_BPF_*).
 */
import { NetlinkSocket } from './netlink.js';
import { NlBuilder, NLM_F_DUMP, NLM_F_REQUEST, attrStr, attrU32, parseAttrs, type NlMessage } from './netlink-msg.js';

const RTM_NEWQDISC = 36;
const RTM_DELQDISC = 37;
const RTM_GETQDISC = 38;
const RTM_NEWTFILTER = 44;
const RTM_DELTFILTER = 45;
const RTM_GETTFILTER = 46;
const NLM_F_ECHO = 0x08;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;

const TCA_KIND = 1;
const TCA_OPTIONS = 2;
const TCA_BPF_FD = 6;
const TCA_BPF_NAME = 7;
const TCA_BPF_FLAGS = 8;
const TCA_BPF_TAG = 10;
const TCA_BPF_ID = 11;
const TCA_BPF_FLAG_ACT_DIRECT = 1;

/** TC_H_CLSACT (= TC_H_INGRESS): the clsact qdisc's parent; its handle is ffff:0. */
export const TC_H_CLSACT = 0xfffffff1;
const CLSACT_HANDLE = 0xffff0000;
/** Parents of the clsact hooks: ffff:fff2 (ingress), ffff:fff3 (egress). */
export const TC_PARENT = { ingress: 0xfffffff2, egress: 0xfffffff3 } as const;
export type TcDirection = keyof typeof TC_PARENT;
/** ETH_P_ALL in network byte order, as tcm_info's low half wants it. */
const PROTO_ALL_BE = 0x0300;

function tcmsg(ifindex: number, handle: number, parent: number, info = 0): Uint8Array {
  const b = new Uint8Array(20); // family u8, pad u8, pad u16, ifindex s32, handle u32, parent u32, info u32
  const v = new DataView(b.buffer);
  v.setInt32(4, ifindex, true);
  v.setUint32(8, handle >>> 0, true);
  v.setUint32(12, parent >>> 0, true);
  v.setUint32(16, info >>> 0, true);
  return b;
}

function withSocket<T>(f: (s: NetlinkSocket) => T): T {
  const s = NetlinkSocket.open();
  try {
    return f(s);
  } finally {
    s.close();
  }
}

export interface QdiscInfo {
  ifindex: number;
  kind: string;
  handle: number;
  parent: number;
}

function decodeTc(m: NlMessage): { ifindex: number; handle: number; parent: number; info: number; attrs: Map<number, Uint8Array> } | undefined {
  if (m.payload.length < 20) return undefined;
  const v = new DataView(m.payload.buffer, m.payload.byteOffset, 20);
  return { ifindex: v.getInt32(4, true), handle: v.getUint32(8, true), parent: v.getUint32(12, true), info: v.getUint32(16, true), attrs: parseAttrs(m.payload.subarray(20)) };
}

/** The qdiscs of interface `ifindex` (RTM_GETQDISC dump, filtered here). */
export function listQdiscs(ifindex: number): QdiscInfo[] {
  return withSocket((s) => {
    const req = new NlBuilder(RTM_GETQDISC, NLM_F_REQUEST | NLM_F_DUMP).raw(tcmsg(ifindex, 0, 0));
    const out: QdiscInfo[] = [];
    for (const m of s.request(req, `RTM_GETQDISC dump (ifindex ${ifindex})`)) {
      if (m.type !== RTM_NEWQDISC) continue;
      const d = decodeTc(m);
      if (!d || d.ifindex !== ifindex) continue;
      out.push({ ifindex, kind: attrStr(d.attrs.get(TCA_KIND)) ?? '', handle: d.handle, parent: d.parent });
    }
    return out;
  });
}

export function hasClsact(ifindex: number): boolean {
  return listQdiscs(ifindex).some((q) => q.kind === 'clsact' && q.parent === TC_H_CLSACT);
}

/** Adds the clsact qdisc; false when the interface already has one (EEXIST), true when we made it. */
export function addClsact(ifindex: number): boolean {
  return withSocket((s) => {
    const req = new NlBuilder(RTM_NEWQDISC, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL).raw(tcmsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT)).str(TCA_KIND, 'clsact');
    try {
      s.request(req, `RTM_NEWQDISC clsact on ifindex ${ifindex}`);
      return true;
    } catch (e) {
      if ((e as { errno?: number }).errno === 17 /* EEXIST */) return false;
      throw e;
    }
  });
}

/** Deletes the clsact qdisc (and every filter on it). */
export function deleteClsact(ifindex: number): void {
  withSocket((s) => {
    const req = new NlBuilder(RTM_DELQDISC, NLM_F_REQUEST).raw(tcmsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT)).str(TCA_KIND, 'clsact');
    s.request(req, `RTM_DELQDISC clsact on ifindex ${ifindex}`);
  });
}

export interface TcFilterInfo {
  ifindex: number;
  parent: number;
  /** The filter's priority ("pref" in `tc filter show`). */
  prio: number;
  handle: number;
  /** Protocol in host byte order (ETH_P_ALL = 3). */
  protocol: number;
  kind: string;
  /** For `bpf` filters. */
  bpf?: { progId?: number; name?: string; directAction: boolean; tag?: string };
}

function decodeFilter(m: NlMessage): TcFilterInfo | undefined {
  if (m.type !== RTM_NEWTFILTER) return undefined;
  const d = decodeTc(m);
  if (!d) return undefined;
  const kind = attrStr(d.attrs.get(TCA_KIND)) ?? '';
  const f: TcFilterInfo = { ifindex: d.ifindex, parent: d.parent, prio: d.info >>> 16, handle: d.handle, protocol: ((d.info & 0xff) << 8) | ((d.info >>> 8) & 0xff), kind };
  const opts = d.attrs.get(TCA_OPTIONS);
  if (kind === 'bpf' && opts) {
    const o = parseAttrs(opts);
    const tag = o.get(TCA_BPF_TAG);
    f.bpf = {
      progId: attrU32(o.get(TCA_BPF_ID)),
      name: attrStr(o.get(TCA_BPF_NAME)),
      directAction: ((attrU32(o.get(TCA_BPF_FLAGS)) ?? 0) & TCA_BPF_FLAG_ACT_DIRECT) !== 0,
      tag: tag ? Buffer.from(tag).toString('hex') : undefined,
    };
  }
  return f;
}

/**
 * The filters at `parent` of interface `ifindex` (one entry per filter handle; the per-priority
 * head entries the kernel also reports, with handle 0 and no options, are left out).
 */
export function listFilters(ifindex: number, parent: number): TcFilterInfo[] {
  return withSocket((s) => {
    const req = new NlBuilder(RTM_GETTFILTER, NLM_F_REQUEST | NLM_F_DUMP).raw(tcmsg(ifindex, 0, parent));
    return s.request(req, `RTM_GETTFILTER dump (ifindex ${ifindex})`)
      .map(decodeFilter)
      .filter((f): f is TcFilterInfo => f !== undefined && f.handle !== 0);
  });
}

export interface BpfFilterOptions {
  progFd: number;
  /** Shown by `tc filter show` (e.g. `tc_count:[42]`). */
  name: string;
  /** 0: the kernel picks (below the existing ones; 49152 on an empty hook). */
  prio?: number;
  /** 0: the kernel picks. */
  handle?: number;
  /** Direct action (default true): the program's return value is the verdict. */
  directAction?: boolean;
}

/** Adds a `bpf` filter for every protocol at `parent`; returns the filter the kernel made (its prio and handle). */
export function addBpfFilter(ifindex: number, parent: number, o: BpfFilterOptions): TcFilterInfo {
  return withSocket((s) => {
    const info = (((o.prio ?? 0) & 0xffff) << 16) | PROTO_ALL_BE;
    const req = new NlBuilder(RTM_NEWTFILTER, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO)
      .raw(tcmsg(ifindex, o.handle ?? 0, parent, info))
      .str(TCA_KIND, 'bpf')
      .begin(TCA_OPTIONS)
      .u32(TCA_BPF_FD, o.progFd)
      .str(TCA_BPF_NAME, o.name)
      .u32(TCA_BPF_FLAGS, o.directAction === false ? 0 : TCA_BPF_FLAG_ACT_DIRECT)
      .end();
    const echoed = s.request(req, `RTM_NEWTFILTER bpf on ifindex ${ifindex}`).map(decodeFilter).find((f) => f && f.handle !== 0);
    if (!echoed) throw new RangeError(`RTM_NEWTFILTER on ifindex ${ifindex}: the kernel did not echo the new filter`);
    return echoed;
  });
}

/** Deletes one filter (by priority, protocol and handle). */
export function deleteFilter(ifindex: number, parent: number, prio: number, handle: number, kind = 'bpf'): void {
  withSocket((s) => {
    const info = ((prio & 0xffff) << 16) | PROTO_ALL_BE;
    const req = new NlBuilder(RTM_DELTFILTER, NLM_F_REQUEST).raw(tcmsg(ifindex, handle, parent, info)).str(TCA_KIND, kind);
    s.request(req, `RTM_DELTFILTER prio ${prio} handle ${handle} on ifindex ${ifindex}`);
  });
}
