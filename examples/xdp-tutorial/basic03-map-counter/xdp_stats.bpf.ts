// xdp-tutorial basic03: count packets and bytes per XDP action in a per-CPU array that user space
// reads (stats.ts). The verdict is a setting the user side can change before loading.
import { xdp, XdpAction, PerCpuArray, type u32, type u64, type XdpContext } from "tsbpf/kernel";

/** struct datarec of the tutorial: what is counted for each action. */
interface DataRec {
  rx_packets: u64;
  rx_bytes: u64;
}

/** Key: the XDP action (0 ABORTED … 4 REDIRECT). Per CPU: each CPU adds to its own copy, no atomics. */
const xdp_stats_map = new PerCpuArray<DataRec>({ maxEntries: 5 });

/** The action returned for every packet (XDP_PASS); `stats.js --drop` loads it with XDP_DROP. */
export const verdict: u32 = XdpAction.PASS;

/** Counts the packet under `action` and returns it (xdp_stats_record_action in the tutorial). */
function record(ctx: XdpContext, action: u32): XdpAction {
  const rec = xdp_stats_map.lookup(action);
  if (!rec) return XdpAction.ABORTED;
  rec.rx_packets += 1;
  rec.rx_bytes += ctx.len;
  return action as XdpAction;
}

export const xdp_stats = xdp((ctx) => {
  return record(ctx, verdict);
});
