/**
 * What helpers do with memory, one record per helper, for the optimiser and the lowering:
 *  - effect: what a call may write that the program can read back, for value reuse (opt-mem.ts):
 *    `none` (no memory the program sees), `nonstack` (map values, globals, the packet or the
 *    context — never the program's stack), `all`. Map keys and values, printk formats,
 *    ring-buffer data and checksum inputs are only read; buffers of skb_load_bytes, probe reads,
 *    get_current_comm, sysctl_get_* and fib_lookup's parameters are written. Map updates change
 *    values in place (array maps) and deleted hash elements are reused, so both are `nonstack`.
 *  - mem: pointer arguments whose size is another argument, read and/or written (opt-buf.ts).
 *  - changesPacket: the verifier forgets packet pointers after the call
 *    (bpf_helper_changes_pkt_data), so the lowering loads data/data_end again.
 * A helper not listed, and every bpf-to-bpf call, counts as writing anything.
 */
import { helperById } from '../abi/index.js';
import type { Inst } from './ir.js';

export type Effect = 'none' | 'nonstack' | 'all';

/** A memory argument: pointer register, size register, and whether it is read and/or written. */
export interface MemArg {
  ptr: number;
  size: number;
  r: boolean;
  w: boolean;
}

interface HelperFacts {
  effect: Effect;
  mem?: readonly MemArg[];
  changesPacket?: boolean;
}

const fills = (ptr: number, size: number): MemArg => ({ ptr, size, r: false, w: true });
const reads = (ptr: number, size: number): MemArg => ({ ptr, size, r: true, w: false });
const NONE: HelperFacts = { effect: 'none' };
const NONSTACK: HelperFacts = { effect: 'nonstack' };
const PACKET: HelperFacts = { effect: 'nonstack', changesPacket: true };
const PROBE: HelperFacts = { effect: 'all', mem: [fills(1, 2), reads(3, 2)] };
const SYSCTL_GET: HelperFacts = { effect: 'all', mem: [fills(2, 3)] };
const SKB_LOAD: HelperFacts = { effect: 'all', mem: [fills(3, 4)] };

const HELPERS: Readonly<Record<string, HelperFacts>> = {
  map_lookup_elem: NONE, map_update_elem: NONSTACK, map_delete_elem: NONSTACK,
  trace_printk: { effect: 'none', mem: [reads(1, 2)] },
  ktime_get_ns: NONE, ktime_get_boot_ns: NONE, get_smp_processor_id: NONE, get_prandom_u32: NONE,
  get_current_pid_tgid: NONE, get_current_uid_gid: NONE, get_current_cgroup_id: NONE,
  get_current_comm: { effect: 'all', mem: [fills(1, 2)] },
  get_socket_uid: NONE, get_socket_cookie: NONE, get_hash_recalc: NONSTACK,
  ringbuf_reserve: NONE, ringbuf_submit: NONSTACK, ringbuf_discard: NONSTACK,
  ringbuf_output: { effect: 'none', mem: [reads(2, 3)] },
  csum_diff: { effect: 'none', mem: [reads(1, 2), reads(3, 4)] },
  redirect: NONE, redirect_map: NONE, tail_call: NONSTACK,
  probe_read: PROBE, probe_read_str: PROBE, probe_read_kernel: PROBE, probe_read_user: PROBE,
  probe_read_kernel_str: PROBE, probe_read_user_str: PROBE,
  skb_load_bytes: SKB_LOAD, skb_load_bytes_relative: SKB_LOAD,
  skb_store_bytes: { effect: 'nonstack', mem: [reads(3, 4)], changesPacket: true },
  l3_csum_replace: PACKET, l4_csum_replace: PACKET, clone_redirect: PACKET,
  skb_change_head: PACKET, skb_change_tail: PACKET, skb_pull_data: PACKET,
  skb_vlan_push: PACKET, skb_vlan_pop: PACKET, skb_adjust_room: PACKET,
  xdp_adjust_head: PACKET, xdp_adjust_tail: PACKET,
  fib_lookup: { effect: 'all', mem: [{ ptr: 2, size: 3, r: true, w: true }] },
  sysctl_get_name: SYSCTL_GET, sysctl_get_current_value: SYSCTL_GET, sysctl_get_new_value: SYSCTL_GET,
  sysctl_set_new_value: { effect: 'nonstack', mem: [reads(2, 3)] },
  msg_redirect_hash: NONE, msg_redirect_map: NONE, msg_apply_bytes: NONE, msg_cork_bytes: NONE,
  msg_pull_data: PACKET, msg_push_data: PACKET, msg_pop_data: PACKET,
};

const factsOf = (i: Inst): HelperFacts | undefined => (i.op === 'call' ? HELPERS[helperById(i.helper)?.name ?? ''] : undefined);

const byId = new Map<number, Effect>();

export function callEffect(i: Inst): Effect {
  if (i.op === 'callsub') return 'all';
  if (i.op !== 'call') return 'none';
  let e = byId.get(i.helper);
  if (e === undefined) {
    e = factsOf(i)?.effect ?? 'all';
    byId.set(i.helper, e);
  }
  return e;
}

/** The memory arguments of a helper call with known sizes (none for anything else). */
export function memArgs(i: Inst): readonly MemArg[] {
  return factsOf(i)?.mem ?? [];
}

/** Whether the verifier forgets packet pointers after calling helper `name`. */
export function changesPacket(name: string): boolean {
  return HELPERS[name]?.changesPacket === true;
}
