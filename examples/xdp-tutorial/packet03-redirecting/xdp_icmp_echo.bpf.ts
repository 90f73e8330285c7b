// xdp-tutorial packet03, assignment 1: answer pings from XDP. An ICMP (IPv4) or ICMPv6 echo
// request is turned into the reply in place — MAC and IP addresses swapped, the type changed,
// the checksum updated — and sent back out of the interface it came in on (XDP_TX). Everything
// else passes.
import {
  xdp, XdpAction, ntohs, htons, EtherType, IpProto,
  type u8, type u16, type u32, type be16, type be32, type FixedArray, type EthHdr, type Ipv4Hdr, type Ipv6Hdr, type IcmpHdr, type Icmp6Hdr,
} from "tsbpf/kernel";

const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO = 8;
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY = 129;

interface Mac {
  bytes: FixedArray<u8, 6>;
}
interface Ipv6Addr {
  words: FixedArray<be32, 4>;
}

/** The one's complement checksum `check` after a 16-bit word changed from `from` to `to` (RFC 1624). */
function csum_replace2(check: be16, from: u16, to: u16): be16 {
  let sum: u32 = ~ntohs(check);
  sum += ~from;
  sum += to;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return htons(~sum as u16);
}

export const xdp_icmp_echo = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (!eth) return XdpAction.PASS;
  if (eth.proto === htons(EtherType.IPV4)) {
    const ip = ctx.header<Ipv4Hdr>(14);
    if (!ip || ip.ihl < 5 || ip.protocol !== IpProto.ICMP) return XdpAction.PASS;
    const icmp = ctx.header<IcmpHdr>(14 + ip.ihl * 4);
    if (!icmp || icmp.type !== ICMP_ECHO) return XdpAction.PASS;
    // Swapping the addresses leaves the IPv4 header checksum as it is (a sum does not care).
    const saddr = ip.saddr;
    ip.saddr = ip.daddr;
    ip.daddr = saddr;
    // type and code form the first 16-bit word of the ICMP header.
    const code: u16 = icmp.code;
    icmp.checksum = csum_replace2(icmp.checksum, (ICMP_ECHO << 8) | code, (ICMP_ECHO_REPLY << 8) | code);
    icmp.type = ICMP_ECHO_REPLY;
  } else if (eth.proto === htons(EtherType.IPV6)) {
    const ip6 = ctx.header<Ipv6Hdr>(14);
    if (!ip6 || ip6.nexthdr !== IpProto.ICMPV6) return XdpAction.PASS;
    const icmp6 = ctx.header<Icmp6Hdr>(14 + 40);
    if (!icmp6 || icmp6.type !== ICMPV6_ECHO_REQUEST) return XdpAction.PASS;
    // The ICMPv6 checksum covers both addresses: swapped, their sum is the same.
    const saddr: Ipv6Addr = { words: ip6.saddr };
    ip6.saddr = ip6.daddr;
    ip6.daddr = saddr.words;
    const code: u16 = icmp6.code;
    icmp6.checksum = csum_replace2(icmp6.checksum, (ICMPV6_ECHO_REQUEST << 8) | code, (ICMPV6_ECHO_REPLY << 8) | code);
    icmp6.type = ICMPV6_ECHO_REPLY;
  } else {
    return XdpAction.PASS;
  }
  const source: Mac = { bytes: eth.source };
  eth.source = eth.dest;
  eth.dest = source.bytes;
  return XdpAction.TX;
});
