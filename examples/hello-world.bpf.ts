// The seed's program: print a line to the trace pipe for every packet, then pass it on.
import { xdp, XdpAction, printk } from "tsbpf/kernel";

export const hello_world = xdp((ctx) => {
  printk("packet  received!");
  return XdpAction.PASS;
});
