/**
 * Crafted frames for the xdp-tutorial examples' test runs: Ethernet with 0–3 VLAN tags, IPv4
 * (header checksum) and IPv6, ICMP/ICMPv6 echo, UDP and TCP — every checksum computed here,
 * independently of the programs, and readers that check them on the way out.
 */

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_ARP = 0x0806;
export const ETH_8021Q = 0x8100;
export const ETH_8021AD = 0x88a8;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

export const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
export const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];
export const IP4_A = [10, 0, 0, 1];
export const IP4_B = [10, 0, 0, 2];
export const IP6_A = [0xfc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
export const IP6_B = [0xfc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];

/** The Internet checksum (RFC 1071) of `bytes`, as a 16-bit number (0 when the data includes a right checksum). */
export function checksum(bytes: ArrayLike<number>, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i]! << 8) | (bytes[i + 1] ?? 0));
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function sumOf(bytes: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i]! << 8) | (bytes[i + 1] ?? 0));
  return sum;
}

/** The pseudo-header sum (not complemented) an L4 checksum starts from. */
function pseudo(src: number[], dst: number[], proto: number, length: number): number {
  return src.length === 4
    ? sumOf([...src, ...dst, 0, proto, ...be16(length)])
    : sumOf([...src, ...dst, 0, 0, ...be16(length), 0, 0, 0, proto]);
}

export interface L3 {
  /** 4 or 16 bytes each. */
  src: number[];
  dst: number[];
}

/** An L4 segment with its checksum filled in (UDP: 0 becomes 0xffff). */
function withChecksum(l3: L3, proto: number, seg: number[], at: number): number[] {
  const c = checksum(seg, pseudo(l3.src, l3.dst, proto, seg.length));
  seg[at] = c >> 8;
  seg[at + 1] = c & 0xff;
  if (proto === PROTO_UDP && c === 0) seg[at] = seg[at + 1] = 0xff;
  return seg;
}

export function udp(l3: L3, sport: number, dport: number, payload: number[], opts: { noChecksum?: boolean } = {}): number[] {
  const seg = [...be16(sport), ...be16(dport), ...be16(8 + payload.length), 0, 0, ...payload];
  return opts.noChecksum ? seg : withChecksum(l3, PROTO_UDP, seg, 6);
}

export function tcp(l3: L3, sport: number, dport: number, payload: number[]): number[] {
  const seg = [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0, ...payload];
  return withChecksum(l3, PROTO_TCP, seg, 16);
}

/** ICMP (IPv4: type 8 request / 0 reply) or ICMPv6 (128 / 129) echo. */
export function echo(l3: L3, type: number, id: number, seq: number, data: number[] = [1, 2, 3, 4, 5, 6, 7, 8]): number[] {
  const msg = [type, 0, 0, 0, ...be16(id), ...be16(seq), ...data];
  if (l3.src.length === 4) {
    const c = checksum(msg);
    msg[2] = c >> 8;
    msg[3] = c & 0xff;
    return msg;
  }
  return withChecksum(l3, PROTO_ICMPV6, msg, 2);
}

export function ipv4(l3: L3, proto: number, payload: number[], opts: { options?: number[]; ttl?: number } = {}): number[] {
  const opt = opts.options ?? [];
  const ihl = 5 + opt.length / 4;
  const h = [0x40 | ihl, 0, ...be16(ihl * 4 + payload.length), 0x12, 0x34, 0x40, 0, opts.ttl ?? 64, proto, 0, 0, ...l3.src, ...l3.dst, ...opt];
  const c = checksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...payload];
}

export function ipv6(l3: L3, next: number, payload: number[]): number[] {
  return [0x60, 0, 0, 0, ...be16(payload.length), next, 64, ...l3.src, ...l3.dst, ...payload];
}

/** An Ethernet frame; `vlans` are [tpid, vid] pairs, outermost first. */
export function ether(type: number, payload: number[], vlans: [number, number][] = [], dst = MAC_B, src = MAC_A): Uint8Array {
  // Each tag's TPID sits where the type would be; the frame's own type follows the last tag.
  const out = [...dst, ...src, ...be16(vlans.length ? vlans[0]![0] : type)];
  for (let i = 0; i < vlans.length; i++) out.push(...be16(vlans[i]![1]), ...be16(i + 1 < vlans.length ? vlans[i + 1]![0] : type));
  return Uint8Array.from([...out, ...payload]);
}

export const V4: L3 = { src: IP4_A, dst: IP4_B };
export const V6: L3 = { src: IP6_A, dst: IP6_B };

/** Where the L3 header starts in a frame built by `ether` with `tags` VLAN tags. */
export const l3Offset = (tags: number): number => 14 + 4 * tags;

/** Checks the checksums of an IPv4/IPv6 packet at `off` (its L3 header) and of its L4 segment. */
export function checksumsOk(frame: Uint8Array, off: number): { l3: boolean; l4: boolean } {
  const version = frame[off]! >> 4;
  if (version === 4) {
    const ihl = (frame[off]! & 0xf) * 4;
    const total = (frame[off + 2]! << 8) | frame[off + 3]!;
    const proto = frame[off + 9]!;
    const seg = Array.from(frame.subarray(off + ihl, off + total));
    const src = Array.from(frame.subarray(off + 12, off + 16));
    const dst = Array.from(frame.subarray(off + 16, off + 20));
    const l3 = checksum(frame.subarray(off, off + ihl)) === 0;
    if (proto === PROTO_ICMP) return { l3, l4: checksum(seg) === 0 };
    if (proto === PROTO_UDP && seg[6] === 0 && seg[7] === 0) return { l3, l4: true };
    return { l3, l4: checksum(seg, pseudo(src, dst, proto, seg.length)) === 0 };
  }
  const len = (frame[off + 4]! << 8) | frame[off + 5]!;
  const next = frame[off + 6]!;
  const seg = Array.from(frame.subarray(off + 40, off + 40 + len));
  const src = Array.from(frame.subarray(off + 8, off + 24));
  const dst = Array.from(frame.subarray(off + 24, off + 40));
  return { l3: true, l4: checksum(seg, pseudo(src, dst, next, seg.length)) === 0 };
}
