// xdp-tutorial basic01: the smallest XDP program. It returns XDP_PASS for every packet, handing
// it on to the kernel's network stack unchanged — attached, the interface works as before.
import { xdp, XdpAction } from "tsbpf/kernel";

export const xdp_pass = xdp((ctx) => {
  return XdpAction.PASS;
});
