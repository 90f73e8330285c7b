/**
 * rtnetlink link operations: list interfaces with their XDP programs (IFLA_XDP), and set or clear
 * an interface's XDP program by fd. The set/clear path is the fallback for kernels without XDP
 * bpf_links (before 5.9) and the way to remove a program someone attached with `ip link`.
 */
import { NetlinkSocket } from './netlink.js';
import { NlBuilder, NLM_F_DUMP, NLM_F_REQUEST, attrStr, attrU32, attrU8, parseAttrs, type NlMessage } from './netlink-msg.js';

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_SETLINK = 19;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFLA_EXT_MASK = 29;
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
const IFLA_XDP = 43;
const IFLA_XDP_FD = 1;
const IFLA_XDP_ATTACHED = 2;
const IFLA_XDP_FLAGS = 3;
const IFLA_XDP_PROG_ID = 4;
const IFLA_XDP_DRV_PROG_ID = 5;
const IFLA_XDP_SKB_PROG_ID = 6;
const IFLA_XDP_HW_PROG_ID = 7;
const IFLA_XDP_EXPECTED_FD = 8;
const IFF_UP = 0x1;

/** uapi XDP_FLAGS_*: attach-mode and replace semantics for both netlink and BPF_LINK_CREATE. */
export const XDP_FLAGS = {
  UPDATE_IF_NOEXIST: 1 << 0,
  SKB_MODE: 1 << 1,
  DRV_MODE: 1 << 2,
  HW_MODE: 1 << 3,
  REPLACE: 1 << 4,
} as const;

export type XdpMode = 'native' | 'skb' | 'hw';

/** An XDP program attached to an interface in one mode. */
export interface XdpProgOnLink {
  mode: XdpMode;
  progId: number;
}

export interface InterfaceInfo {
  index: number;
  name: string;
  /** IFF_* flags. */
  flags: number;
  up: boolean;
  mtu?: number;
  /** rtnl link kind ('veth', 'bridge', …); absent for physical devices and `lo`. */
  kind?: string;
  /** XDP programs attached (at most one per mode). */
  xdp: XdpProgOnLink[];
}

const MODE_BY_ATTACHED: Record<number, XdpMode> = { 1: 'native', 2: 'skb', 3: 'hw' };

/** Mode flag for a mode name, e.g. 'skb' → XDP_FLAGS_SKB_MODE. */
export function xdpModeFlag(mode: XdpMode): number {
  return mode === 'skb' ? XDP_FLAGS.SKB_MODE : mode === 'hw' ? XDP_FLAGS.HW_MODE : XDP_FLAGS.DRV_MODE;
}

function ifinfomsg(index: number): Uint8Array {
  const b = new Uint8Array(16); // family AF_UNSPEC, type 0, index, flags 0, change 0
  new DataView(b.buffer).setInt32(4, index, true);
  return b;
}

/** Decodes an RTM_NEWLINK message (exported for tests). */
export function decodeLink(m: NlMessage): InterfaceInfo | undefined {
  if (m.type !== RTM_NEWLINK || m.payload.length < 16) return undefined;
  const dv = new DataView(m.payload.buffer, m.payload.byteOffset, 16);
  const index = dv.getInt32(4, true);
  const flags = dv.getUint32(8, true);
  const attrs = parseAttrs(m.payload.subarray(16));
  const info: InterfaceInfo = { index, name: attrStr(attrs.get(IFLA_IFNAME)) ?? `if${index}`, flags, up: (flags & IFF_UP) !== 0, xdp: [] };
  const mtu = attrU32(attrs.get(IFLA_MTU));
  if (mtu !== undefined) info.mtu = mtu;
  const linkinfo = attrs.get(IFLA_LINKINFO);
  if (linkinfo) {
    const kind = attrStr(parseAttrs(linkinfo).get(IFLA_INFO_KIND));
    if (kind) info.kind = kind;
  }
  const xdp = attrs.get(IFLA_XDP);
  if (xdp) info.xdp = decodeXdp(parseAttrs(xdp));
  return info;
}

function decodeXdp(x: Map<number, Uint8Array>): XdpProgOnLink[] {
  const attached = attrU8(x.get(IFLA_XDP_ATTACHED)) ?? 0;
  if (attached === 0) return [];
  const single = MODE_BY_ATTACHED[attached];
  if (single) {
    const progId = attrU32(x.get(IFLA_XDP_PROG_ID)) ?? 0;
    return [{ mode: single, progId }];
  }
  // XDP_ATTACHED_MULTI: one id per mode.
  const out: XdpProgOnLink[] = [];
  const per: [number, XdpMode][] = [[IFLA_XDP_DRV_PROG_ID, 'native'], [IFLA_XDP_SKB_PROG_ID, 'skb'], [IFLA_XDP_HW_PROG_ID, 'hw']];
  for (const [attr, mode] of per) {
    const id = attrU32(x.get(attr));
    if (id) out.push({ mode, progId: id });
  }
  return out;
}

function withSocket<T>(f: (s: NetlinkSocket) => T): T {
  const s = NetlinkSocket.open();
  try {
    return f(s);
  } finally {
    s.close();
  }
}

/** Every interface of the current network namespace, in ifindex order. */
export function listLinks(): InterfaceInfo[] {
  return withSocket((s) => {
    const req = new NlBuilder(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP).raw(ifinfomsg(0)).u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    const links = s.request(req, 'RTM_GETLINK dump').map(decodeLink).filter((l): l is InterfaceInfo => l !== undefined);
    return links.sort((a, b) => a.index - b.index);
  });
}

/** One interface by index; throws NetlinkError (ENODEV) when there is none. */
export function getLink(ifindex: number): InterfaceInfo {
  return withSocket((s) => {
    const req = new NlBuilder(RTM_GETLINK, NLM_F_REQUEST).raw(ifinfomsg(ifindex)).u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    const link = s.request(req, `RTM_GETLINK ifindex ${ifindex}`).map(decodeLink).find((l) => l !== undefined);
    if (!link) throw new RangeError(`RTM_GETLINK ifindex ${ifindex}: no link in the answer`);
    return link;
  });
}

/**
 * Attaches program `progFd` to interface `ifindex` (progFd -1 detaches) with XDP_FLAGS `flags`.
 * `expectedFd` (with XDP_FLAGS.REPLACE) makes the kernel replace only that program.
 */
export function setLinkXdp(ifindex: number, progFd: number, flags: number, expectedFd?: number): void {
  withSocket((s) => {
    const req = new NlBuilder(RTM_SETLINK, NLM_F_REQUEST).raw(ifinfomsg(ifindex)).begin(IFLA_XDP).s32(IFLA_XDP_FD, progFd);
    if (flags) req.u32(IFLA_XDP_FLAGS, flags);
    if (expectedFd !== undefined) req.s32(IFLA_XDP_EXPECTED_FD, expectedFd);
    req.end();
    s.request(req, `RTM_SETLINK IFLA_XDP ${progFd < 0 ? 'detach' : 'attach'} on ifindex ${ifindex}`);
  });
}
