// The kernel side of __NAME__: runs for every packet that reaches the interface, logs a line
// and passes the packet on to the network stack. `npm run build` compiles it to
// target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { xdp, XdpAction, log } from "tsbpf/kernel";

export const __PROG__ = xdp((ctx) => {
  log.info(ctx, "received a packet");
  return XdpAction.PASS;
});
