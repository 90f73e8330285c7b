// Two programs: a dispatcher with a bpf-to-bpf call that tail-calls into a second program.
import { xdp, XdpAction, ProgArray, atomic_add, tail_call, type i32, type u32, type XdpContext } from "tsbpf/kernel";

const jump_table = new ProgArray({ maxEntries: 4 });
let tail_hits: u32 = 0;

/** Compiled once and called (a bpf-to-bpf call), not inlined: @noinline */
function packet_len(ctx: XdpContext): i32 {
  return ctx.len as i32;
}

export const xdp_tail = xdp((ctx) => {
  atomic_add(tail_hits, 1);
  return packet_len(ctx) > 100 ? XdpAction.DROP : XdpAction.PASS;
});

export const xdp_dispatch = xdp((ctx) => {
  if (packet_len(ctx) < 14) return XdpAction.ABORTED;
  tail_call(ctx, jump_table, 0);
  return XdpAction.PASS;
});
