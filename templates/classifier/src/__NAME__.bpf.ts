// The kernel side of __NAME__: a tc classifier that logs every packet the interface receives
// (with its length) and lets it pass. `npm run build` compiles it to target/bpf/__NAME__.o;
// src/main.ts loads it and attaches it to the interface's clsact qdisc (tc, direct action).
import { tc, TcAction, log } from "tsbpf/kernel";

export const __PROG__ = tc((skb) => {
  log.info(skb, "received a packet of {} bytes", skb.len);
  return TcAction.OK;
});
