// The seed's second program (aya-log's `info!(&ctx, "received a packet")`): one structured log
// line per packet, printed by `tsbpf run` as `[… INFO  hello_world] received a packet`.
import { xdp, XdpAction, log } from "tsbpf/kernel";

export const hello_world = xdp((ctx) => {
  log.info(ctx, "received a packet");
  return XdpAction.PASS;
});
