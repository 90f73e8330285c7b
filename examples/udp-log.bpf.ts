// Logs the source address, MAC address and port of every UDP/IPv4 datagram:
//   [… INFO  udp_log] udp from 10.77.0.2 (02:5e:11:c3:9a:01) port 40123 (0x9cbb) to port 5353
import {
  xdp, XdpAction, log, ntohs, EtherType, IpProto, htons, ETH_HLEN,
  type EthHdr, type Ipv4Hdr, type UdpHdr,
} from "tsbpf/kernel";

export const udp_log = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (!eth || eth.proto !== htons(EtherType.IPV4)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(ETH_HLEN);
  if (!ip || ip.protocol !== IpProto.UDP) return XdpAction.PASS;
  const udp = ctx.header<UdpHdr>(ETH_HLEN + ip.ihl * 4);
  if (!udp) return XdpAction.PASS;
  const sport = ntohs(udp.source);
  log.info(ctx, "udp from {:ip} ({:mac}) port {} ({:x}) to port {}", ip.saddr, eth.source, sport, sport, ntohs(udp.dest));
  return XdpAction.PASS;
});
