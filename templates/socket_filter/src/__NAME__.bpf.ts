// The kernel side of __NAME__: a socket filter. On the socket src/main.ts opens it sees every
// datagram before it is queued, logs its length and keeps all of it (it returns how many bytes to
// keep: 0 drops the packet). `npm run build` compiles it to target/bpf/__NAME__.o.
import { socketFilter, log } from "tsbpf/kernel";

export const __PROG__ = socketFilter((skb) => {
  log.info(skb, "a packet of {} bytes", skb.len);
  return skb.len;
});
