/**
 * What every name exported by `tsbpf/kernel` means to the compiler. The declarations in
 * src/kernel/ are for editors; this table is what the compiler uses (the compiler resolves the
 * module itself, without reading files). test/compiler/kernel-api.test.ts parses src/kernel with
 * our parser and checks that both agree: same names, same constants, same struct fields.
 */
import { BPF_SOCK, CONTEXTS, PT_REGS } from './contexts.js';
import { PROGRAM_KINDS, type ProgKind } from './program-kinds.js';
import { INT, type IntTy, type MapKind, type StructDef, type Ty, layoutStruct } from './types.js';

export type Builtin =
  | { k: 'type'; ty: Ty }
  /** Generic type constructors: FixedArray<T, N>, Ref<V>, MapValue<V>, TracepointContext<Record>. */
  | { k: 'generic'; name: 'FixedArray' | 'Ref' | 'MapValue' | 'TracepointContext' }
  /** Types that exist for editors only (Program, MapOptions, …): importable, not usable in code. */
  | { k: 'editorType' }
  | { k: 'enum'; members: Map<string, bigint> }
  | { k: 'const'; value: bigint }
  | { k: 'fn'; name: string }
  | { k: 'mapClass'; kind: MapKind; typeArgs: 0 | 1 | 2 }
  /** A program declaration (`xdp`, `tc`, `kprobe`, …): program-kinds.ts. */
  | { k: 'program'; prog: ProgKind }
  /** `log`: `log.info(ctx, "format {}", …)` and the other levels (check-log.ts), `log.configure({…})`. */
  | { k: 'log' };

const T = (ty: Ty): Builtin => ({ k: 'type', ty });
const u8 = INT.u8, u16 = INT.u16, u32 = INT.u32, be16 = INT.be16, be32 = INT.be32;
const arr = (elem: Ty, len: number): Ty => ({ k: 'array', elem, len });

function struct(name: string, fields: [string, Ty][], virt: [string, number, number][] = []): StructDef {
  const def = layoutStruct(name, fields.map(([n, ty]) => ({ name: n, ty, readonly: false })), true, 0);
  for (const [n, shift, width] of virt) {
    def.fields.push({ name: n, ty: u8, offset: 0, readonly: true, bits: { shift, width, of: u8 } });
  }
  return def;
}

/** Fixes a virtual field to the byte it lives in. */
function at(def: StructDef, field: string, byteField: string): StructDef {
  const f = def.fields.find((x) => x.name === field)!;
  f.offset = def.fields.find((x) => x.name === byteField)!.offset;
  return def;
}

export const HEADERS: Record<string, StructDef> = {
  EthHdr: struct('EthHdr', [['dest', arr(u8, 6)], ['source', arr(u8, 6)], ['proto', be16]]),
  VlanHdr: struct('VlanHdr', [['tci', be16], ['proto', be16]]),
  Ipv4Hdr: at(at(struct('Ipv4Hdr', [
    ['ver_ihl', u8], ['tos', u8], ['tot_len', be16], ['id', be16], ['frag_off', be16], ['ttl', u8], ['protocol', u8],
    ['check', be16], ['saddr', be32], ['daddr', be32],
  ], [['version', 4, 4], ['ihl', 0, 4]]), 'version', 'ver_ihl'), 'ihl', 'ver_ihl'),
  Ipv6Hdr: struct('Ipv6Hdr', [
    ['ver_tc_flow', be32], ['payload_len', be16], ['nexthdr', u8], ['hop_limit', u8], ['saddr', arr(be32, 4)], ['daddr', arr(be32, 4)],
  ]),
  Ipv6OptHdr: struct('Ipv6OptHdr', [['nexthdr', u8], ['hdrlen', u8]]),
  IcmpHdr: struct('IcmpHdr', [['type', u8], ['code', u8], ['checksum', be16], ['id', be16], ['sequence', be16]]),
  Icmp6Hdr: struct('Icmp6Hdr', [['type', u8], ['code', u8], ['checksum', be16], ['id', be16], ['sequence', be16]]),
  UdpHdr: struct('UdpHdr', [['source', be16], ['dest', be16], ['len', be16], ['check', be16]]),
  TcpHdr: at(struct('TcpHdr', [
    ['source', be16], ['dest', be16], ['seq', be32], ['ack_seq', be32], ['doff_res', u8], ['flags', u8],
    ['window', be16], ['check', be16], ['urg_ptr', be16],
  ], [['doff', 4, 4]]), 'doff', 'doff_res'),
};

/** struct bpf_fib_lookup: a C struct with unions, so fields overlap (explicit offsets). */
function fibLookup(): StructDef {
  const f = (name: string, ty: Ty, offset: number) => ({ name, ty, offset, readonly: false });
  return {
    name: 'FibLookup', size: 64, align: 4, builtin: true, pos: 0,
    fields: [
      f('family', u8, 0), f('l4_protocol', u8, 1), f('sport', be16, 2), f('dport', be16, 4),
      f('tot_len', u16, 6), f('mtu_result', u16, 6), f('ifindex', u32, 8),
      f('tos', u8, 12), f('flowinfo', be32, 12), f('rt_metric', u32, 12),
      f('ipv4_src', be32, 16), f('ipv6_src', arr(be32, 4), 16), f('ipv4_dst', be32, 32), f('ipv6_dst', arr(be32, 4), 32),
      f('h_vlan_proto', be16, 48), f('h_vlan_TCI', be16, 50), f('tbid', u32, 48),
      f('smac', arr(u8, 6), 52), f('dmac', arr(u8, 6), 58),
    ],
  };
}
export const FIB_LOOKUP = fibLookup();

/** struct xdp_md as the kernel defines it: the BTF of an XDP program's argument. */
export const XDP_MD = struct('xdp_md', [
  ['data', u32], ['data_end', u32], ['data_meta', u32], ['ingress_ifindex', u32], ['rx_queue_index', u32], ['egress_ifindex', u32],
]);

/**
 * Well-known tracepoint records (tracefs events/CATEGORY/NAME/format), the fields after the
 * 8-byte common header — what `TracepointContext<T>` reads. Laid out by C rules from offset 8,
 * which gives the format file's offsets.
 */
const i32 = INT.i32, i64 = INT.i64, u64 = INT.u64, char = INT.char;
export const TRACE_FORMATS: Record<string, StructDef> = {
  SysEnterOpenat: struct('SysEnterOpenat', [['__syscall_nr', i32], ['dfd', i64], ['filename', u64], ['flags', i64], ['mode', u64]]),
  SysExit: struct('SysExit', [['__syscall_nr', i32], ['ret', i64]]),
  RawSysEnter: struct('RawSysEnter', [['id', i64], ['args', arr(u64, 6)]]),
  RawSysExit: struct('RawSysExit', [['id', i64], ['ret', i64]]),
  SchedSwitch: struct('SchedSwitch', [
    ['prev_comm', arr(char, 16)], ['prev_pid', i32], ['prev_prio', i32], ['prev_state', i64],
    ['next_comm', arr(char, 16)], ['next_pid', i32], ['next_prio', i32],
  ]),
  SchedProcessExit: struct('SchedProcessExit', [['comm', arr(char, 16)], ['pid', i32], ['prio', i32], ['group_dead', { k: 'bool' }]]),
  SchedProcessExec: struct('SchedProcessExec', [['filename_loc', u32], ['pid', i32], ['old_pid', i32]]),
};

function enumOf(o: Record<string, number>): Builtin {
  return { k: 'enum', members: new Map(Object.entries(o).map(([k, v]) => [k, BigInt(v)])) };
}

/** Helpers and intrinsics callable as plain functions (checked in check-call.ts). */
export const FUNCTIONS = [
  'printk', 'ktime_get_ns', 'ktime_get_boot_ns', 'get_smp_processor_id', 'get_prandom_u32',
  'redirect', 'redirect_map', 'tail_call', 'csum_diff', 'csum_fold', 'fib_lookup', 'xdp_adjust_head', 'xdp_adjust_tail',
  // sk_buff programs (tc: all; socket filters, cgroup_skb: the ones reading only)
  'skb_store_bytes', 'l3_csum_replace', 'l4_csum_replace', 'clone_redirect', 'skb_change_head', 'skb_change_tail',
  'skb_pull_data', 'skb_vlan_push', 'skb_vlan_pop', 'skb_adjust_room', 'get_hash_recalc', 'get_socket_uid', 'get_socket_cookie',
  // tracing
  'get_current_pid_tgid', 'get_current_uid_gid', 'get_current_comm', 'get_current_cgroup_id',
  'probe_read_kernel', 'probe_read_user', 'probe_read_kernel_str', 'probe_read_user_str',
  // cgroup sysctl
  'sysctl_get_name', 'sysctl_get_current_value', 'sysctl_get_new_value', 'sysctl_set_new_value',
  // sk_msg
  'msg_redirect_hash', 'msg_redirect_map', 'msg_apply_bytes', 'msg_cork_bytes', 'msg_pull_data', 'msg_push_data', 'msg_pop_data',
  'ntohs', 'htons', 'ntohl', 'htonl', 'ntohll', 'htonll',
  'atomic_add', 'atomic_and', 'atomic_or', 'atomic_xor', 'atomic_xchg', 'atomic_cmpxchg',
] as const;

function table(): Map<string, Builtin> {
  const m = new Map<string, Builtin>();
  for (const [n, t] of Object.entries(INT)) m.set(n, T(t as IntTy));
  m.set('bool', T({ k: 'bool' }));
  m.set('FixedArray', { k: 'generic', name: 'FixedArray' });
  m.set('Ref', { k: 'generic', name: 'Ref' });
  m.set('MapValue', { k: 'generic', name: 'MapValue' });
  m.set('TracepointContext', { k: 'generic', name: 'TracepointContext' });
  for (const n of ['Program', 'XdpOptions', 'MapOptions', 'PrintArg', 'Log', 'LogValue', 'LogHoleArg', 'LogArgs', 'LogOptions', 'ProgramContext', 'PacketContext']) m.set(n, { k: 'editorType' });
  m.set('log', { k: 'log' });
  for (const name of CONTEXTS.keys()) if (name !== 'TracepointContext') m.set(name, T({ k: 'ctx', ctx: name }));
  for (const d of PROGRAM_KINDS.values()) m.set(d.fn, { k: 'program', prog: d.kind });
  m.set('XdpAction', enumOf({ ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 }));
  m.set('TcAction', enumOf({ UNSPEC: -1, OK: 0, RECLASSIFY: 1, SHOT: 2, PIPE: 3, STOLEN: 4, QUEUED: 5, REPEAT: 6, REDIRECT: 7, TRAP: 8 }));
  m.set('SkAction', enumOf({ DROP: 0, PASS: 1 }));
  m.set('AdjustRoomMode', enumOf({ NET: 0, MAC: 1 }));
  m.set('HeaderStart', enumOf({ MAC: 0, NET: 1 }));
  m.set('CsumFlags', enumOf({ PSEUDO_HDR: 0x10, MARK_MANGLED_0: 0x20, MARK_ENFORCE: 0x40 }));
  m.set('StoreFlags', enumOf({ RECOMPUTE_CSUM: 1, INVALIDATE_HASH: 2 }));
  m.set('PtRegs', T({ k: 'struct', def: PT_REGS }));
  m.set('BpfSock', T({ k: 'struct', def: BPF_SOCK }));
  m.set('RedirectFlags', enumOf({ EGRESS: 0, INGRESS: 1 }));
  for (const [n, def] of Object.entries(TRACE_FORMATS)) m.set(n, T({ k: 'struct', def }));
  for (const [n, def] of Object.entries(HEADERS)) m.set(n, T({ k: 'struct', def }));
  m.set('FibLookup', T({ k: 'struct', def: FIB_LOOKUP }));
  m.set('FibLookupFlags', enumOf({ DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16 }));
  m.set('FibResult', enumOf({
    SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4,
    FWD_DISABLED: 5, UNSUPP_LWT: 6, NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9,
  }));
  m.set('UpdateFlags', enumOf({ ANY: 0, NOEXIST: 1, EXIST: 2 }));
  m.set('EtherType', enumOf({ IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd }));
  m.set('IpProto', enumOf({ HOPOPTS: 0, ICMP: 1, TCP: 6, UDP: 17, ROUTING: 43, FRAGMENT: 44, ICMPV6: 58, NONE: 59, DSTOPTS: 60 }));
  m.set('TcpFlags', enumOf({ FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 }));
  for (const [n, v] of Object.entries({ ETH_HLEN: 14, VLAN_HLEN: 4, IPV4_HLEN: 20, IPV6_HLEN: 40, UDP_HLEN: 8, TCP_HLEN: 20 })) {
    m.set(n, { k: 'const', value: BigInt(v) });
  }
  for (const f of FUNCTIONS) m.set(f, { k: 'fn', name: f });
  const maps: [string, MapKind, 0 | 1 | 2][] = [
    ['ArrayMap', 'array', 1], ['PerCpuArray', 'percpu_array', 1], ['HashMap', 'hash', 2], ['PerCpuHashMap', 'percpu_hash', 2],
    ['LruHashMap', 'lru_hash', 2], ['LpmTrie', 'lpm_trie', 2], ['RingBuf', 'ringbuf', 0], ['ProgArray', 'prog_array', 0],
    ['DevMap', 'devmap', 0], ['CpuMap', 'cpumap', 0],
    // SockHash<Key>: the one type argument is the key (values are sockets: u32 fds from user space)
    ['SockHash', 'sockhash', 1], ['SockMap', 'sockmap', 0],
  ];
  for (const [n, kind, typeArgs] of maps) m.set(n, { k: 'mapClass', kind, typeArgs });
  return m;
}

/** name → meaning, for everything `tsbpf/kernel` exports. */
export const KERNEL: ReadonlyMap<string, Builtin> = table();

export const KERNEL_MODULE = 'tsbpf/kernel';
