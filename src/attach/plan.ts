/**
 * Picks how to attach a program from its type and ELF section (libbpf's conventions, as parsed
 * by src/object/section-types.ts) plus the user's options, in two steps: `planAttach` checks
 * everything it can *before* the program is loaded (interface, cgroup v2, kernel function,
 * tracepoint, binary and symbol, event name) and `plan.attach(prog)` attaches the loaded program.
 * `tsbpf run` and library users share it.
 */
import { bpf_attach_type, bpf_map_type, bpf_prog_type, progTypeName } from '../abi/index.js';
import type { SectionProgramType } from '../object/section-types.js';
import type { FdLike } from '../sys/bpf.js';
import { resolveInterface } from '../sys/netif.js';
import { DEFAULT_CGROUP, attachCgroup, attachTypeLabel, openCgroup } from './cgroup.js';
import { AttachError, closer, type Attachment, type ProgramRef } from './common.js';
import { attachKprobe, parseKprobeTarget } from './kprobe.js';
import { kernelFunctionHint, kernelFunctionKnown, syscallFunction } from './ksyms.js';
import { PERF_EVENTS, attachPerfEvent } from './perf-event.js';
import { probeUnsupportedReason } from './probe.js';
import { attachToSockMap } from './socket.js';
import { TC_ATTACH_MODES, TC_DIRECTIONS, attachTc, type TcAttachMode, type TcDirection } from './tc.js';
import { attachRawTracepoint, attachTracepoint, tracepointId } from './tracepoint.js';
import { attachTracing } from './tracing.js';
import { attachUprobe, findHostSymbol, parseUprobeTarget, resolveBinary } from './uprobe.js';
import { XDP_ATTACH_MODES, attachXdp, type XdpAttachMode } from './xdp.js';

/** What planAttach needs to know about the program (from the object model, before load). */
export interface PlanProgram {
  name: string;
  section: string;
  /** The section's convention (undefined when none matched). */
  type?: SectionProgramType;
  /** Maps of the object (for sk_msg/sk_skb: the sockmap to attach to). */
  maps?: { name: string; type: number }[];
}

export interface AutoAttachOptions {
  /** xdp, tc: the interface. */
  iface?: string | number;
  /** tc (ingress/egress hook), cgroup/skb (inet ingress/egress). */
  direction?: string;
  /** cgroup programs: the cgroup v2 directory (default /sys/fs/cgroup). */
  cgroup?: string;
  /**
   * What to attach to, overriding or completing the section: kprobe `FUNC[+OFF]`, ksyscall `NAME`,
   * uprobe `BINARY:FUNC[+OFF]`, tracepoint `CAT/NAME`, raw_tracepoint `NAME`, perf_event an event
   * name, sk_msg/sk_skb a map name.
   */
  target?: string;
  /** uprobe, perf_event: only this process. */
  pid?: number;
  /** perf_event sampling. */
  samplePeriod?: number;
  sampleFreq?: number;
  /** xdp. */
  xdpMode?: XdpAttachMode;
  /** tc: auto (a tcx link, else a clsact filter with a notice), tcx or netlink. */
  tcMode?: TcAttachMode;
  force?: boolean;
  onNotice?: (message: string) => void;
}

export interface AttachEnv {
  /** The loaded object's map fds by name (sk_msg, sk_skb). */
  mapFd?: (name: string) => FdLike | undefined;
}

export interface AttachPlan {
  /** `xdp`, `tc`, `kprobe`, … */
  method: string;
  /** What it attaches to: `kprobe do_sys_openat2`, `tc ingress on eth0`. */
  label: string;
  attach(prog: ProgramRef, env?: AttachEnv): Attachment;
}

const T = bpf_prog_type;
const A = bpf_attach_type as Record<string, number>;

/** The part of the section after its convention's name (`kprobe/do_sys_openat2` → `do_sys_openat2`). */
function sectionTarget(p: PlanProgram): string | undefined {
  return p.type?.attachTarget || undefined;
}

function base(p: PlanProgram): string {
  return (p.type?.convention ?? p.section).replace(/\+$/, '');
}

function noTarget(p: PlanProgram, o: AutoAttachOptions, what: string): void {
  if (o.target !== undefined) throw new AttachError(`--target is not used for ${what} programs ('${p.name}', section '${p.section}')`);
}

function needTarget(p: PlanProgram, o: AutoAttachOptions, example: string): string {
  const t = o.target ?? sectionTarget(p);
  if (!t) throw new AttachError(`program '${p.name}' (section '${p.section}') does not say what to attach to`, `name it in the section (${example}) or pass --target`);
  return t;
}

function iface(p: PlanProgram, o: AutoAttachOptions, kind: string): { index: number; name: string } {
  if (o.iface === undefined) throw new AttachError(`missing -i IFACE (the interface to attach ${kind} program '${p.name}' to)`, 'e.g. `tsbpf run prog.o -i eth0`');
  return resolveInterface(o.iface);
}

function tcDirection(p: PlanProgram, o: AutoAttachOptions): TcDirection {
  const fromSection = /^(?:tc|tcx|classifier)\/(ingress|egress)$/.exec(p.section)?.[1] as TcDirection | undefined;
  const d = (o.direction ?? fromSection ?? 'ingress') as TcDirection;
  if (!TC_DIRECTIONS.includes(d)) throw new AttachError(`unknown direction '${o.direction}'`, `use one of: ${TC_DIRECTIONS.join(', ')}`);
  if (fromSection && o.direction && fromSection !== o.direction) throw new AttachError(`program '${p.name}' is for tc ${fromSection} (section '${p.section}'), not ${o.direction}`);
  return d;
}

/** Plans the attachment of `p`; throws AttachError for anything missing or wrong. */
export function planAttach(p: PlanProgram, o: AutoAttachOptions = {}): AttachPlan {
  const st = p.type;
  if (!st) throw new AttachError(`program '${p.name}' is in section '${p.section}', which names no program type`, 'use a libbpf section name (xdp, tc, kprobe/FUNC, tracepoint/CAT/NAME, …)');
  const typeName = progTypeName(st.progType) ?? String(st.progType);
  const b = base(p);
  switch (st.progType) {
    case T.BPF_PROG_TYPE_XDP: {
      noTarget(p, o, 'XDP');
      if (st.attachType !== undefined && st.attachType !== A.BPF_XDP) throw new AttachError(`program '${p.name}' (section '${p.section}') runs from a devmap/cpumap entry, not on an interface`);
      const mode = o.xdpMode ?? 'auto';
      if (!XDP_ATTACH_MODES.includes(mode)) throw new AttachError(`unknown XDP mode '${mode}'`, `use one of: ${XDP_ATTACH_MODES.join(', ')}`);
      const i = iface(p, o, 'XDP');
      return { method: 'xdp', label: `xdp on ${i.name}`, attach: (prog) => attachXdp(prog, i.index, { mode, force: o.force, onNotice: o.onNotice }) };
    }
    case T.BPF_PROG_TYPE_SCHED_CLS: {
      noTarget(p, o, 'tc');
      const d = tcDirection(p, o);
      const mode = o.tcMode ?? 'auto';
      if (!TC_ATTACH_MODES.includes(mode)) throw new AttachError(`unknown tc mode '${mode}'`, `use one of: ${TC_ATTACH_MODES.join(', ')}`);
      const i = iface(p, o, 'tc');
      return { method: 'tc', label: `tc ${d} on ${i.name}`, attach: (prog) => attachTc(prog, i.index, { direction: d, mode, onNotice: o.onNotice }) };
    }
    case T.BPF_PROG_TYPE_KPROBE:
      return planKprobe(p, o, b);
    case T.BPF_PROG_TYPE_TRACEPOINT: {
      const t = needTarget(p, o, 'tracepoint/syscalls/sys_enter_openat');
      const m = /^([^/:]+)[/:]([^/:]+)$/.exec(t);
      if (!m) throw new AttachError(`'${t}' is not a tracepoint (CATEGORY/NAME)`, 'e.g. syscalls/sys_enter_openat, sched/sched_switch');
      tracepointId(m[1]!, m[2]!); // unknown → error with near matches, before loading
      return { method: 'tracepoint', label: `tracepoint ${m[1]}/${m[2]}`, attach: (prog) => attachTracepoint(prog, m[1]!, m[2]!) };
    }
    case T.BPF_PROG_TYPE_RAW_TRACEPOINT:
    case T.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE: {
      const t = needTarget(p, o, 'raw_tracepoint/sys_enter');
      return { method: 'raw_tracepoint', label: `raw tracepoint ${t}`, attach: (prog) => attachRawTracepoint(prog, t) };
    }
    case T.BPF_PROG_TYPE_TRACING:
    case T.BPF_PROG_TYPE_LSM: {
      if (b.startsWith('iter')) throw new AttachError(`program '${p.name}' is a BPF iterator (section '${p.section}'): iterators are read, not attached; tsbpf run cannot run them yet`);
      if (st.attachType === A.BPF_LSM_CGROUP) return planCgroup(p, o, st, typeName);
      const kind = b.replace(/\.s$/, '');
      const t = sectionTarget(p);
      if (!t) throw new AttachError(`program '${p.name}' (section '${p.section}') names no ${kind} target`, `e.g. SEC("${kind}/${kind === 'tp_btf' ? 'sys_enter' : kind === 'lsm' ? 'file_open' : 'do_sys_openat2'}")`);
      if (o.target !== undefined && o.target !== t) throw new AttachError(`the target of ${kind} program '${p.name}' is fixed at load by its section ('${p.section}'); --target ${o.target} cannot change it`);
      const ksym = kind === 'tp_btf' ? `__bpf_trace_${t}` : kind === 'lsm' ? `bpf_lsm_${t}` : t;
      if (!kernelFunctionKnown(ksym)) {
        throw new AttachError(`unknown ${kind === 'tp_btf' ? 'tracepoint' : kind === 'lsm' ? 'LSM hook' : 'kernel function'} '${t}' for ${kind} program '${p.name}'`,
          kind === 'fentry' || kind === 'fexit' || kind === 'fmod_ret' ? kernelFunctionHint(t) : kernelFunctionHint(ksym).replace(/__bpf_trace_|bpf_lsm_/g, ''));
      }
      return { method: kind, label: `${kind} ${t}`, attach: (prog) => attachTracing(prog, `${kind} ${t}`) };
    }
    case T.BPF_PROG_TYPE_CGROUP_SKB:
    case T.BPF_PROG_TYPE_CGROUP_SOCK:
    case T.BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
    case T.BPF_PROG_TYPE_CGROUP_SYSCTL:
    case T.BPF_PROG_TYPE_CGROUP_SOCKOPT:
    case T.BPF_PROG_TYPE_CGROUP_DEVICE:
    case T.BPF_PROG_TYPE_SOCK_OPS:
      return planCgroup(p, o, st, typeName);
    case T.BPF_PROG_TYPE_PERF_EVENT: {
      const event = o.target ?? 'cpu-clock';
      if (!PERF_EVENTS[event]) throw new AttachError(`unknown perf event '${event}'`, `use one of: ${Object.keys(PERF_EVENTS).join(', ')}`);
      const opts = { event, samplePeriod: o.samplePeriod, sampleFreq: o.sampleFreq, pid: o.pid };
      return { method: 'perf_event', label: `perf event ${event}`, attach: (prog) => attachPerfEvent(prog, opts) };
    }
    case T.BPF_PROG_TYPE_SK_MSG:
    case T.BPF_PROG_TYPE_SK_SKB: {
      const attachType = st.attachType ?? (st.progType === T.BPF_PROG_TYPE_SK_MSG ? A.BPF_SK_MSG_VERDICT! : A.BPF_SK_SKB_STREAM_VERDICT!);
      const socks = (p.maps ?? []).filter((m) => m.type === bpf_map_type.BPF_MAP_TYPE_SOCKMAP || m.type === bpf_map_type.BPF_MAP_TYPE_SOCKHASH);
      let map = o.target;
      if (map === undefined) {
        if (socks.length !== 1) {
          throw new AttachError(`${typeName} program '${p.name}' attaches to a sockmap or sockhash: ${socks.length ? `the object has ${socks.length} (${socks.map((m) => m.name).join(', ')}): choose one with --target MAP` : 'the object has none'}`);
        }
        map = socks[0]!.name;
      } else if (!socks.some((m) => m.name === map)) {
        throw new AttachError(`no sockmap or sockhash '${map}' in the object`, socks.length ? `sockmaps: ${socks.map((m) => m.name).join(', ')}` : 'the object has none');
      }
      const name = map;
      return {
        method: typeName, label: `${typeName} on map '${name}'`,
        attach: (prog, env) => {
          const fd = env?.mapFd?.(name);
          if (fd === undefined) throw new AttachError(`map '${name}' is not loaded`);
          return attachToSockMap(prog, fd, attachType, name);
        },
      };
    }
    case T.BPF_PROG_TYPE_SOCKET_FILTER:
      throw new AttachError(
        `program '${p.name}' is a socket filter: it runs on one socket that a program owns (SO_ATTACH_BPF), so there is nothing for tsbpf run to attach it to`,
        'attach it from your program with attachSocketFilter(program, socketFd); test it with program.testRun(packet)',
      );
    default:
      throw new AttachError(`tsbpf cannot attach ${typeName} programs yet ('${p.name}', section '${p.section}')`, 'supported: xdp, tc/classifier, kprobe, kretprobe, uprobe, uretprobe, tracepoint, raw_tracepoint, tp_btf, fentry, fexit, fmod_ret, lsm, cgroup programs, sock_ops, perf_event, sk_msg, sk_skb');
  }
}

function planKprobe(p: PlanProgram, o: AutoAttachOptions, b: string): AttachPlan {
  if (b.includes('.multi') || b === 'usdt') throw new AttachError(`tsbpf cannot attach ${b} programs yet ('${p.name}', section '${p.section}')`, 'use kprobe/FUNC, uprobe/BINARY:FUNC');
  if (b === 'uprobe' || b === 'uretprobe' || b === 'uprobe.s' || b === 'uretprobe.s') {
    const retprobe = b.startsWith('uret');
    const spec = needTarget(p, o, 'uprobe/libc.so.6:getpid');
    const t = parseUprobeTarget(spec);
    const reason = probeUnsupportedReason('uprobe');
    if (reason) throw new AttachError(`cannot attach ${b} program '${p.name}': ${reason}`);
    const path = resolveBinary(t.binary);
    if (t.symbol !== undefined) findHostSymbol(path, t.symbol);
    return { method: retprobe ? 'uretprobe' : 'uprobe', label: `${retprobe ? 'uretprobe' : 'uprobe'} ${spec}`, attach: (prog) => attachUprobe(prog, { ...t, binary: path }, { retprobe, pid: o.pid }) };
  }
  const retprobe = b === 'kretprobe' || b === 'kretsyscall';
  const kind = retprobe ? 'kretprobe' : 'kprobe';
  let spec = needTarget(p, o, b.includes('syscall') ? `${b}/openat` : `${b}/do_sys_openat2`);
  if (b === 'ksyscall' || b === 'kretsyscall') spec = syscallFunction(spec);
  const { func, offset } = parseKprobeTarget(spec);
  const reason = probeUnsupportedReason('kprobe');
  if (reason) {
    throw new AttachError(`cannot attach ${kind} program '${p.name}' to ${func}: ${reason}`, `trace the function with fentry/${func} or fexit/${func} instead (BTF trampolines), or a tracepoint`);
  }
  if (!kernelFunctionKnown(func)) throw new AttachError(`unknown kernel function '${func}' for ${kind} '${p.name}'`, kernelFunctionHint(func));
  return { method: kind, label: `${kind} ${spec}`, attach: (prog) => attachKprobe(prog, func, { retprobe, offset }) };
}

function planCgroup(p: PlanProgram, o: AutoAttachOptions, st: SectionProgramType, typeName: string): AttachPlan {
  noTarget(p, o, typeName);
  let attachType = st.attachType;
  if (attachType === undefined && st.progType === T.BPF_PROG_TYPE_CGROUP_SKB) {
    const d = o.direction ?? 'ingress';
    if (d !== 'ingress' && d !== 'egress') throw new AttachError(`unknown direction '${d}'`, 'use ingress or egress');
    attachType = d === 'ingress' ? A.BPF_CGROUP_INET_INGRESS : A.BPF_CGROUP_INET_EGRESS;
  } else if (o.direction !== undefined) {
    throw new AttachError(`--direction is not used for '${p.name}' (section '${p.section}' says ${attachType !== undefined ? attachTypeLabel(attachType) : 'no direction'})`);
  }
  if (attachType === undefined) throw new AttachError(`program '${p.name}' (section '${p.section}') does not say which cgroup hook it is for`, 'use a section such as cgroup_skb/ingress, cgroup/sysctl, sockops');
  const path = o.cgroup ?? DEFAULT_CGROUP;
  closer(openCgroup(path)).close(); // v2? exists? — before loading
  const at = attachType;
  return { method: 'cgroup', label: `cgroup ${attachTypeLabel(at)} on ${path}`, attach: (prog) => attachCgroup(prog, path, at) };
}
