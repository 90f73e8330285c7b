/** Crafted Ethernet frames for test runs: IPv4/IPv6 + UDP/TCP, with correct lengths and checksums. */

function csum16(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const MAC_DST = [0x02, 0, 0, 0, 0, 0x02];
const MAC_SRC = [0x02, 0, 0, 0, 0, 0x01];

export interface UdpOptions {
  src?: [number, number, number, number];
  dst?: [number, number, number, number];
  sport?: number;
  dport: number;
  payload?: Uint8Array;
  /** IP protocol (17 UDP by default; 6 makes a TCP-numbered packet with a UDP-sized header). */
  protocol?: number;
}

/** Ethernet + IPv4 + UDP. */
export function udp4(o: UdpOptions): Uint8Array {
  const payload = o.payload ?? new TextEncoder().encode('tsbpf test');
  const udpLen = 8 + payload.length;
  const ipLen = 20 + udpLen;
  const f = new Uint8Array(14 + ipLen);
  const v = new DataView(f.buffer);
  f.set(MAC_DST, 0);
  f.set(MAC_SRC, 6);
  v.setUint16(12, 0x0800);
  const ip = 14;
  f[ip] = 0x45;
  v.setUint16(ip + 2, ipLen);
  v.setUint16(ip + 4, 0x1234);
  f[ip + 8] = 64;
  f[ip + 9] = o.protocol ?? 17;
  f.set(o.src ?? [10, 0, 0, 1], ip + 12);
  f.set(o.dst ?? [10, 0, 0, 2], ip + 16);
  v.setUint16(ip + 10, csum16(f.subarray(ip, ip + 20)));
  const u = ip + 20;
  v.setUint16(u, o.sport ?? 40000);
  v.setUint16(u + 2, o.dport);
  v.setUint16(u + 4, udpLen);
  f.set(payload, u + 8);
  return f;
}

/** Ethernet + IPv6 + UDP (the last 4 bytes of the source address are `srcTail`). */
export function udp6(o: { dport: number; sport?: number; srcTail?: [number, number, number, number] }): Uint8Array {
  const payload = new TextEncoder().encode('tsbpf v6');
  const udpLen = 8 + payload.length;
  const f = new Uint8Array(14 + 40 + udpLen);
  const v = new DataView(f.buffer);
  f.set(MAC_DST, 0);
  f.set(MAC_SRC, 6);
  v.setUint16(12, 0x86dd);
  const ip = 14;
  f[ip] = 0x60;
  v.setUint16(ip + 4, udpLen);
  f[ip + 6] = 17;
  f[ip + 7] = 64;
  f.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...(o.srcTail ?? [0, 0, 0, 1])], ip + 8);
  f.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], ip + 24);
  const u = ip + 40;
  v.setUint16(u, o.sport ?? 40000);
  v.setUint16(u + 2, o.dport);
  v.setUint16(u + 4, udpLen);
  f.set(payload, u + 8);
  return f;
}

/** An ARP-typed frame (not IP) of `len` bytes. */
export function nonIp(len = 60): Uint8Array {
  const f = new Uint8Array(len);
  f.set(MAC_DST, 0);
  f.set(MAC_SRC, 6);
  new DataView(f.buffer).setUint16(12, 0x0806);
  return f;
}

/** The IPv4 source address as the program stores it (network order bytes read as a little-endian u32). */
export function saddrKey(a: [number, number, number, number]): number {
  return new DataView(Uint8Array.from(a).buffer).getUint32(0, true);
}
