/** Test packets for PROG_TEST_RUN rows: Ethernet + IPv4 + UDP, padded to a frame length. */

/** An Ethernet/IPv4/UDP frame from 10.0.0.1:12345 to 10.0.0.2:`dport`, `len` bytes in all (≥ 42). */
export function udp4Packet(dport: number, len = 64): Uint8Array {
  const p = new Uint8Array(Math.max(len, 42));
  const dv = new DataView(p.buffer);
  p.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1], 0); // dst, src MAC
  dv.setUint16(12, 0x0800); // IPv4
  const ipLen = p.length - 14;
  p[14] = 0x45; // version 4, ihl 5
  dv.setUint16(16, ipLen);
  p[22] = 64; // ttl
  p[23] = 17; // UDP
  p.set([10, 0, 0, 1, 10, 0, 0, 2], 26);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += dv.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  dv.setUint16(24, ~sum & 0xffff);
  dv.setUint16(34, 12345);
  dv.setUint16(36, dport);
  dv.setUint16(38, ipLen - 20);
  return p;
}
