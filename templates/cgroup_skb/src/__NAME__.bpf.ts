// The kernel side of __NAME__: a cgroup skb program on the ingress of a cgroup: it logs every
// packet the cgroup's processes receive (with its length) and lets it through (1; 0 would drop
// it). `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts attaches it.
import { cgroupSkb, log } from "tsbpf/kernel";

export const __PROG__ = cgroupSkb("ingress", (skb) => {
  log.info(skb, "received a packet of {} bytes", skb.len);
  return 1;
});
