// xdp-tutorial basic04: the counters of basic03 in a map pinned on the BPF filesystem, so that
// other processes (stats.ts) can open it by path, and a reloaded program keeps counting into it.
import { xdp, XdpAction, PerCpuArray, type u32, type u64, type XdpContext } from "tsbpf/kernel";

interface DataRec {
  rx_packets: u64;
  rx_bytes: u64;
}

/**
 * pinning 'byName': the loader pins the map as PIN_DIR/xdp_stats_map (load.ts passes
 * `pinPath`), or reuses the map already pinned there instead of creating a new one.
 */
const xdp_stats_map = new PerCpuArray<DataRec>({ maxEntries: 5, pinning: 'byName' });

function record(ctx: XdpContext, action: u32): XdpAction {
  const rec = xdp_stats_map.lookup(action);
  if (!rec) return XdpAction.ABORTED;
  rec.rx_packets += 1;
  rec.rx_bytes += ctx.len;
  return action as XdpAction;
}

export const xdp_stats = xdp((ctx) => {
  return record(ctx, XdpAction.PASS);
});
