// Packet parsing: drop UDP datagrams to a configurable port, count drops per source address.
import {
  xdp, XdpAction, htons, atomic_add, HashMap, EtherType, IpProto, UpdateFlags,
  type u16, type u32, type u64, type be32, type XdpContext, type EthHdr, type Ipv4Hdr, type Ipv6Hdr, type UdpHdr,
} from "tsbpf/kernel";

/** The destination port to drop; the loader can change it before loading (a .rodata setting). */
export const blocked_port: u16 = 9999;
let seen_packets: u64 = 0;
let non_ip_packets: u64 = 0;

const drops = new HashMap<be32, u64>({ maxEntries: 1024 });

function handle_udp(ctx: XdpContext, offset: u32, saddr: be32): XdpAction {
  const udp = ctx.header<UdpHdr>(offset);
  if (!udp) return XdpAction.PASS;
  if (udp.dest !== htons(blocked_port)) return XdpAction.PASS;
  const count = drops.lookup(saddr);
  if (count) atomic_add(count.value, 1);
  else drops.update(saddr, 1, UpdateFlags.NOEXIST);
  return XdpAction.DROP;
}

export const udp_drop = xdp((ctx) => {
  seen_packets++;
  const eth = ctx.header<EthHdr>(0);
  if (!eth) return XdpAction.PASS;
  if (eth.proto === htons(EtherType.IPV4)) {
    const ip = ctx.header<Ipv4Hdr>(14);
    if (!ip) return XdpAction.PASS;
    if (ip.protocol !== IpProto.UDP) return XdpAction.PASS;
    return handle_udp(ctx, 14 + ip.ihl * 4, ip.saddr);
  }
  if (eth.proto === htons(EtherType.IPV6)) {
    const ip6 = ctx.header<Ipv6Hdr>(14);
    if (!ip6) return XdpAction.PASS;
    if (ip6.nexthdr !== IpProto.UDP) return XdpAction.PASS;
    return handle_udp(ctx, 14 + 40, ip6.saddr[3]);
  }
  non_ip_packets++;
  return XdpAction.PASS;
});
