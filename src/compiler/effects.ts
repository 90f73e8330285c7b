/**
 * What a call may write that the program can read back, for the optimiser's value reuse
 * (opt-mem.ts): `none` (no memory the program sees), `nonstack` (map values, globals, the packet
 * or the context — never the program's stack), `all`. Helpers are classed by what the kernel does
 * with their pointer arguments: map keys and values, printk formats, ring-buffer data and
 * checksum inputs are only read; buffers of skb_load_bytes, probe reads, get_current_comm,
 * sysctl_get_* and fib_lookup's parameters are written. Anything not listed, and every
 * bpf-to-bpf call, counts as `all`.
 */
import { helperById } from '../abi/index.js';
import type { Inst } from './ir.js';

export type Effect = 'none' | 'nonstack' | 'all';

const NONE = new Set([
  'map_lookup_elem', 'trace_printk', 'ktime_get_ns', 'ktime_get_boot_ns', 'get_smp_processor_id', 'get_prandom_u32',
  'get_current_pid_tgid', 'get_current_uid_gid', 'get_current_cgroup_id', 'get_socket_uid', 'get_socket_cookie',
  'ringbuf_reserve', 'ringbuf_output', 'csum_diff', 'redirect', 'redirect_map',
  'msg_redirect_hash', 'msg_redirect_map', 'msg_apply_bytes', 'msg_cork_bytes',
]);
/** Change map contents (array updates write values in place; deleted hash elements are reused), records, the packet or skb fields. */
const NONSTACK = new Set([
  'map_update_elem', 'map_delete_elem', 'ringbuf_submit', 'ringbuf_discard', 'tail_call', 'get_hash_recalc',
  'sysctl_set_new_value', 'skb_store_bytes', 'l3_csum_replace', 'l4_csum_replace', 'clone_redirect', 'skb_change_head',
  'skb_change_tail', 'skb_pull_data', 'skb_vlan_push', 'skb_vlan_pop', 'skb_adjust_room', 'xdp_adjust_head', 'xdp_adjust_tail',
  'msg_pull_data', 'msg_push_data', 'msg_pop_data',
]);

const byId = new Map<number, Effect>();

export function callEffect(i: Inst): Effect {
  if (i.op === 'callsub') return 'all';
  if (i.op !== 'call') return 'none';
  let e = byId.get(i.helper);
  if (e === undefined) {
    const name = helperById(i.helper)?.name ?? '';
    e = NONE.has(name) ? 'none' : NONSTACK.has(name) ? 'nonstack' : 'all';
    byId.set(i.helper, e);
  }
  return e;
}
