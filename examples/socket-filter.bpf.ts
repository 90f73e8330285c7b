// A socket filter: on a socket it is attached to (SO_ATTACH_BPF), keeps UDP datagrams unless they
// come from `blocked_port`, and cuts the rest to `snap_len` bytes. Socket filters cannot point
// into the packet: they copy headers with ctx.load<T>(offset, HeaderStart.NET), which counts from
// the IP header in every kind of socket.
import {
  socketFilter, HeaderStart, IpProto, htons, ArrayMap,
  type u16, type u32, type u64, type Ipv4Hdr, type UdpHdr,
} from "tsbpf/kernel";

export const blocked_port: u16 = 9999;
/** Bytes kept of accepted packets (from the network header for raw sockets; UDP keeps whole datagrams). */
export const snap_len: u32 = 0xffff;

/** 0: accepted, 1: refused. */
const verdicts = new ArrayMap<u64>({ maxEntries: 2 });

function count(i: u32): void {
  const c = verdicts.lookup(i);
  if (c) c.value += 1;
}

export const udp_filter = socketFilter((skb) => {
  const ip = skb.load<Ipv4Hdr>(0, HeaderStart.NET);
  if (!ip || ip.version !== 4 || ip.protocol !== IpProto.UDP) return skb.len;
  const udp = skb.load<UdpHdr>(ip.ihl * 4, HeaderStart.NET);
  if (!udp) return skb.len;
  if (udp.source === htons(blocked_port)) {
    count(1);
    return 0;
  }
  count(0);
  return skb.len < snap_len ? skb.len : snap_len;
});
