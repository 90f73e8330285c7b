// xdp-tutorial packet01: parse Ethernet, up to two VLAN tags (802.1Q or 802.1ad), IPv4 or IPv6,
// and ICMP or ICMPv6; drop every other ping — echo requests with an even sequence number — and
// pass everything else. `ping` then gets replies to sequence 1, 3, 5, …
import {
  xdp, XdpAction, ntohs, EtherType, IpProto,
  type u16, type u32, type EthHdr, type VlanHdr, type Ipv4Hdr, type Ipv6Hdr, type IcmpHdr, type Icmp6Hdr,
} from "tsbpf/kernel";

/** Nested VLAN tags parsed (the tutorial's VLAN_MAX_DEPTH). */
const VLAN_MAX_DEPTH = 2;
const ICMP_ECHO = 8;
const ICMPV6_ECHO_REQUEST = 128;

export const xdp_parser = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (!eth) return XdpAction.PASS;
  let proto: u16 = ntohs(eth.proto);
  let offset: u32 = 14;
  // VLAN tags: each names the protocol after it; the loop is unrolled (a constant bound).
  for (let i = 0; i < VLAN_MAX_DEPTH; i++) {
    if (proto !== EtherType.VLAN && proto !== EtherType.QINQ) break;
    const vlan = ctx.header<VlanHdr>(offset);
    if (!vlan) return XdpAction.PASS;
    proto = ntohs(vlan.proto);
    offset += 4;
  }

  let sequence: u16;
  if (proto === EtherType.IPV4) {
    const ip = ctx.header<Ipv4Hdr>(offset);
    if (!ip || ip.ihl < 5 || ip.protocol !== IpProto.ICMP) return XdpAction.PASS;
    const icmp = ctx.header<IcmpHdr>(offset + ip.ihl * 4);
    if (!icmp || icmp.type !== ICMP_ECHO) return XdpAction.PASS;
    sequence = ntohs(icmp.sequence);
  } else if (proto === EtherType.IPV6) {
    const ip6 = ctx.header<Ipv6Hdr>(offset);
    if (!ip6 || ip6.nexthdr !== IpProto.ICMPV6) return XdpAction.PASS;
    const icmp6 = ctx.header<Icmp6Hdr>(offset + 40);
    if (!icmp6 || icmp6.type !== ICMPV6_ECHO_REQUEST) return XdpAction.PASS;
    sequence = ntohs(icmp6.sequence);
  } else {
    return XdpAction.PASS;
  }
  return sequence % 2 === 0 ? XdpAction.DROP : XdpAction.PASS;
});
