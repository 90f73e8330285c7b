// Per-action packet and byte counters in a per-CPU array (xdp-tutorial basic03).
import { xdp, XdpAction, PerCpuArray, type u64 } from "tsbpf/kernel";

interface DataRec {
  rx_packets: u64;
  rx_bytes: u64;
}

const xdp_stats_map = new PerCpuArray<DataRec>({ maxEntries: XdpAction.REDIRECT + 1 });

export const xdp_stats = xdp((ctx) => {
  const rec = xdp_stats_map.lookup(XdpAction.PASS);
  if (!rec) return XdpAction.ABORTED;
  rec.rx_packets += 1;
  rec.rx_bytes += ctx.len;
  return XdpAction.PASS;
});
