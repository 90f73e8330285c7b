// Ring-buffer producer: one event per packet with a sequence number, length and timestamp.
import { xdp, XdpAction, RingBuf, atomic_add, ktime_get_ns, type u32, type u64 } from "tsbpf/kernel";

interface Event {
  seq: u64;
  ts: u64;
  len: u32;
  ifindex: u32;
}

const events = new RingBuf({ maxEntries: 256 * 1024 });
let next_seq: u64 = 0;

export const ringbuf_events = xdp((ctx) => {
  const e = events.reserve<Event>();
  if (!e) return XdpAction.PASS;
  e.seq = atomic_add(next_seq, 1);
  e.ts = ktime_get_ns();
  e.len = ctx.len;
  e.ifindex = ctx.ingressIfindex;
  events.submit(e);
  return XdpAction.PASS;
});
