// A tc classifier: rewrites UDP destination port `from_port` to `to_port` (the kernel updates the
// checksum: l4_csum_replace), drops UDP to `blocked_port`, marks IPv4 packets with their protocol
// and counts them. Attach with `tsbpf run examples/tc-rewrite.bpf.ts -i eth0` (ingress).
import {
  tc, TcAction, EtherType, IpProto, CsumFlags, htons, skb_store_bytes, l4_csum_replace, PerCpuArray,
  type u16, type u32, type u64, type be16, type EthHdr, type Ipv4Hdr, type UdpHdr,
} from "tsbpf/kernel";

/** Settings the loader can change before loading (.rodata). */
export const from_port: u16 = 7000;
export const to_port: u16 = 7001;
export const blocked_port: u16 = 9999;

/** Per-CPU counters: 0 IPv4 packets, 1 UDP datagrams, 2 rewritten, 3 dropped. */
const counters = new PerCpuArray<u64>({ maxEntries: 4 });

interface Port {
  port: be16;
}

function count(i: u32): void {
  const c = counters.lookup(i);
  if (c) c.value += 1;
}

export const tc_rewrite = tc((skb) => {
  const eth = skb.header<EthHdr>(0);
  if (!eth || eth.proto !== htons(EtherType.IPV4)) return TcAction.OK;
  const ip = skb.header<Ipv4Hdr>(14);
  if (!ip) return TcAction.OK;
  count(0);
  skb.mark = 0x100 | (ip.protocol as u32);
  if (ip.protocol !== IpProto.UDP) return TcAction.OK;
  const off = 14 + ip.ihl * 4;
  const udp = skb.header<UdpHdr>(off);
  if (!udp) return TcAction.OK;
  count(1);
  if (udp.dest === htons(blocked_port)) {
    count(3);
    return TcAction.SHOT;
  }
  if (udp.dest !== htons(from_port)) return TcAction.OK;
  const to: Port = { port: htons(to_port) };
  // the checksum first (a zero UDP checksum stays "none"), then the port itself
  l4_csum_replace(skb, off + 6, udp.dest, to.port, CsumFlags.MARK_MANGLED_0 | 2);
  skb_store_bytes(skb, off + 2, to);
  count(2);
  return TcAction.OK;
});
