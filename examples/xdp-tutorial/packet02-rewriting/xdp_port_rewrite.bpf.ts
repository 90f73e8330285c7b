// xdp-tutorial packet02, assignment 1: rewrite the destination port of UDP and TCP packets to
// one less than it was (IPv4 and IPv6, behind up to two VLAN tags), keeping the L4 checksum
// right with an incremental update (RFC 1624) instead of summing the whole packet again.
import {
  xdp, XdpAction, ntohs, htons, EtherType, IpProto,
  type u8, type u16, type u32, type be16, type EthHdr, type VlanHdr, type Ipv4Hdr, type Ipv6Hdr, type UdpHdr, type TcpHdr,
} from "tsbpf/kernel";

const VLAN_MAX_DEPTH = 2;

/** The one's complement checksum `check` after a 16-bit word of the data changed from `from` to `to`. */
function csum_replace2(check: be16, from: u16, to: u16): be16 {
  // HC' = ~(~HC + ~m + m') (RFC 1624, eqn. 3), in 32 bits, then the carries folded back in.
  let sum: u32 = ~ntohs(check);
  sum += ~from;
  sum += to;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return htons(~sum as u16);
}

export const xdp_port_rewrite = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (!eth) return XdpAction.PASS;
  let proto: u16 = ntohs(eth.proto);
  let offset: u32 = 14;
  for (let i = 0; i < VLAN_MAX_DEPTH; i++) {
    if (proto !== EtherType.VLAN && proto !== EtherType.QINQ) break;
    const vlan = ctx.header<VlanHdr>(offset);
    if (!vlan) return XdpAction.PASS;
    proto = ntohs(vlan.proto);
    offset += 4;
  }

  let l4proto: u8;
  let ipv4 = false;
  if (proto === EtherType.IPV4) {
    const ip = ctx.header<Ipv4Hdr>(offset);
    if (!ip || ip.ihl < 5) return XdpAction.PASS;
    l4proto = ip.protocol;
    offset += ip.ihl * 4;
    ipv4 = true;
  } else if (proto === EtherType.IPV6) {
    const ip6 = ctx.header<Ipv6Hdr>(offset);
    if (!ip6) return XdpAction.PASS;
    l4proto = ip6.nexthdr;
    offset += 40;
  } else {
    return XdpAction.PASS;
  }

  if (l4proto === IpProto.UDP) {
    const udp = ctx.header<UdpHdr>(offset);
    if (!udp) return XdpAction.PASS;
    const port = ntohs(udp.dest);
    udp.dest = htons(port - 1);
    // Over IPv4 a zero checksum means "none": leave it so. A computed 0 is sent as 0xffff.
    if (!ipv4 || udp.check !== htons(0)) {
      udp.check = csum_replace2(udp.check, port, port - 1);
      if (udp.check === htons(0)) udp.check = htons(0xffff);
    }
  } else if (l4proto === IpProto.TCP) {
    const tcp = ctx.header<TcpHdr>(offset);
    if (!tcp) return XdpAction.PASS;
    const port = ntohs(tcp.dest);
    tcp.dest = htons(port - 1);
    tcp.check = csum_replace2(tcp.check, port, port - 1);
  }
  return XdpAction.PASS;
});
