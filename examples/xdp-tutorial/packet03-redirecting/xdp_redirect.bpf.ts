// xdp-tutorial packet03, assignments 2 and 3: send IP packets arriving on one interface out of
// another, with the Ethernet addresses the next hop expects. Two programs, one per way of
// naming the egress interface: bpf_redirect with its index (a setting fixed at load), and
// bpf_redirect_map through a DevMap that user space fills (redirect.ts does both).
import {
  xdp, XdpAction, htons, redirect, redirect_map, ArrayMap, DevMap, EtherType,
  type u8, type u32, type FixedArray, type EthHdr, type XdpContext,
} from "tsbpf/kernel";

/** Ethernet addresses to write into redirected packets (one entry, set by user space). */
interface RedirectParams {
  dest: FixedArray<u8, 6>;
  source: FixedArray<u8, 6>;
}

const redirect_params = new ArrayMap<RedirectParams>({ maxEntries: 1 });
/** Key 0 → the egress interface's index. */
const tx_port = new DevMap({ maxEntries: 1 });
/** Egress interface index for xdp_redirect, set when loading. */
export const out_ifindex: u32 = 0;

/** Rewrites the Ethernet addresses of an IPv4/IPv6 packet; false for anything else (ARP, …). */
function rewrite_macs(ctx: XdpContext): boolean {
  const eth = ctx.header<EthHdr>(0);
  if (!eth) return false;
  if (eth.proto !== htons(EtherType.IPV4) && eth.proto !== htons(EtherType.IPV6)) return false;
  const params = redirect_params.lookup(0);
  if (!params) return false;
  eth.dest = params.dest;
  eth.source = params.source;
  return true;
}

export const xdp_redirect = xdp((ctx) => {
  if (!rewrite_macs(ctx)) return XdpAction.PASS;
  return redirect(out_ifindex, 0);
});

export const xdp_redirect_map = xdp((ctx) => {
  if (!rewrite_macs(ctx)) return XdpAction.PASS;
  return redirect_map(tx_port, 0, XdpAction.PASS);
});
