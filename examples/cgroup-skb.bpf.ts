// A cgroup skb program on the egress of a cgroup: counts the bytes its processes send per IP
// protocol and refuses UDP datagrams to `blocked_port` (the sender sees EPERM). The packet starts
// at the IP header and is read-only here.
import {
  cgroupSkb, IpProto, htons, HashMap, UpdateFlags, atomic_add,
  type u8, type u16, type u64, type Ipv4Hdr, type UdpHdr,
} from "tsbpf/kernel";

export const blocked_port: u16 = 9999;

/** IP protocol → bytes sent. */
const bytes = new HashMap<u8, u64>({ maxEntries: 256 });

export const egress_guard = cgroupSkb("egress", (skb) => {
  const ip = skb.header<Ipv4Hdr>(0);
  if (!ip || ip.version !== 4) return 1;
  const n = bytes.lookup(ip.protocol);
  if (n) atomic_add(n.value, skb.len);
  else bytes.update(ip.protocol, skb.len, UpdateFlags.NOEXIST);
  if (ip.protocol !== IpProto.UDP) return 1;
  const udp = skb.header<UdpHdr>(ip.ihl * 4);
  if (!udp) return 1;
  return udp.dest === htons(blocked_port) ? 0 : 1;
});
