/**
 * The program types `tsbpf new` offers: aya-template's list, in its order, with what each needs
 * from tsbpf. A type is generated only when all three parts exist — a program declaration the
 * compiler knows (read from the compiler's own table, so a new declaration shows up here), a way
 * to attach it, and a project template — otherwise it is listed but refused with the missing parts.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TsbpfError } from '../errors.js';
import { KERNEL } from '../compiler/builtins.js';
import { ATTACHABLE_TEMPLATE_TYPES, NOT_RUNNABLE_TEMPLATE_TYPES } from '../attach/supported.js';

export interface ProgramTypeInfo {
  /** The name in aya-template's list (and `--type`). */
  name: string;
  /** The ELF section libbpf/Aya use for it. */
  section: string;
  /** The declaration a kernel program would use in tsbpf/kernel. */
  declaration: string;
  /** The kernel context the program receives. */
  context: string;
  /** How it is attached (what src/attach would need). */
  attach: string;
}

/** aya-template's program types (cargo generate's prompt order); xdp is the default. */
export const PROGRAM_TYPES: readonly ProgramTypeInfo[] = [
  { name: 'cgroup_skb', section: 'cgroup_skb/ingress', declaration: 'cgroupSkb("ingress" | "egress", …)', context: 'struct __sk_buff', attach: 'BPF_LINK_CREATE on a cgroup fd (BPF_CGROUP_INET_INGRESS/EGRESS)' },
  { name: 'cgroup_sockopt', section: 'cgroup/getsockopt', declaration: 'cgroupSockopt("getsockopt" | "setsockopt", …)', context: 'struct bpf_sockopt', attach: 'BPF_LINK_CREATE on a cgroup fd (BPF_CGROUP_GETSOCKOPT/SETSOCKOPT)' },
  { name: 'cgroup_sysctl', section: 'cgroup/sysctl', declaration: 'cgroupSysctl(…)', context: 'struct bpf_sysctl', attach: 'BPF_LINK_CREATE on a cgroup fd (BPF_CGROUP_SYSCTL)' },
  { name: 'classifier', section: 'tc', declaration: 'tc(…)', context: 'struct __sk_buff', attach: 'a tc clsact filter over rtnetlink, or a TCX link (BPF_TCX_INGRESS/EGRESS)' },
  { name: 'fentry', section: 'fentry/FUNCTION', declaration: 'fentry("function", …)', context: "the traced function's arguments (from vmlinux BTF)", attach: 'BPF_LINK_CREATE / BPF_RAW_TRACEPOINT_OPEN with the vmlinux BTF id' },
  { name: 'fexit', section: 'fexit/FUNCTION', declaration: 'fexit("function", …)', context: "the traced function's arguments and return value (from vmlinux BTF)", attach: 'BPF_LINK_CREATE / BPF_RAW_TRACEPOINT_OPEN with the vmlinux BTF id' },
  { name: 'kprobe', section: 'kprobe', declaration: 'kprobe("function", …)', context: 'struct pt_regs', attach: 'perf_event_open on the kprobe PMU, then BPF_LINK_CREATE (BPF_PERF_EVENT)' },
  { name: 'kretprobe', section: 'kretprobe', declaration: 'kretprobe("function", …)', context: 'struct pt_regs', attach: 'perf_event_open on the kprobe PMU (retprobe bit), then BPF_LINK_CREATE' },
  { name: 'lsm', section: 'lsm/HOOK', declaration: 'lsm("hook", …)', context: "the LSM hook's arguments (from vmlinux BTF)", attach: 'BPF_LINK_CREATE (BPF_LSM_MAC) on a kernel booted with lsm=…,bpf' },
  { name: 'perf_event', section: 'perf_event', declaration: 'perfEvent(…)', context: 'struct bpf_perf_event_data', attach: 'perf_event_open (e.g. a CPU clock sampler) on every CPU, then BPF_LINK_CREATE' },
  { name: 'raw_tracepoint', section: 'raw_tracepoint/NAME', declaration: 'rawTracepoint("name", …)', context: 'struct bpf_raw_tracepoint_args', attach: 'BPF_RAW_TRACEPOINT_OPEN' },
  { name: 'sk_msg', section: 'sk_msg', declaration: 'skMsg(…)', context: 'struct sk_msg_md', attach: 'BPF_PROG_ATTACH to a sockmap/sockhash (and those map kinds)' },
  { name: 'sock_ops', section: 'sockops', declaration: 'sockOps(…)', context: 'struct bpf_sock_ops', attach: 'BPF_LINK_CREATE on a cgroup fd (BPF_CGROUP_SOCK_OPS)' },
  { name: 'socket_filter', section: 'socket', declaration: 'socketFilter(…)', context: 'struct __sk_buff', attach: 'setsockopt(SO_ATTACH_BPF) on a socket' },
  { name: 'tp_btf', section: 'tp_btf/NAME', declaration: 'tpBtf("name", …)', context: "the tracepoint's arguments (from vmlinux BTF)", attach: 'BPF_LINK_CREATE / BPF_RAW_TRACEPOINT_OPEN with the vmlinux BTF id' },
  { name: 'tracepoint', section: 'tracepoint/CATEGORY/NAME', declaration: 'tracepoint("category/name", …)', context: "the tracepoint's record (its tracefs format file)", attach: 'perf_event_open on the tracepoint id from tracefs, then BPF_LINK_CREATE' },
  { name: 'uprobe', section: 'uprobe', declaration: 'uprobe("binary:symbol", …)', context: 'struct pt_regs', attach: "perf_event_open on the uprobe PMU with the symbol's file offset, then BPF_LINK_CREATE" },
  { name: 'uretprobe', section: 'uretprobe', declaration: 'uretprobe("binary:symbol", …)', context: 'struct pt_regs', attach: 'perf_event_open on the uprobe PMU (retprobe bit), then BPF_LINK_CREATE' },
  { name: 'xdp', section: 'xdp', declaration: 'xdp(…)', context: 'struct xdp_md (XdpContext)', attach: 'BPF_LINK_CREATE on an interface (attachXdp)' },
];

export const DEFAULT_PROGRAM_TYPE = 'xdp';

/**
 * Program types src/attach can attach: those `attachProgram` attaches from the section, and those
 * a user program attaches itself (a socket filter on its own socket), as a generated project does.
 */
const ATTACHABLE = new Set([...ATTACHABLE_TEMPLATE_TYPES, ...Object.keys(NOT_RUNNABLE_TEMPLATE_TYPES)]);

/** The folder holding the project templates (templates/ of the tsbpf package). */
export function templatesDir(): string {
  return fileURLToPath(new URL('../../../templates/', import.meta.url));
}

/** Program declarations the compiler knows (`xdp`, …), from its builtin table. */
export function compilerProgramKinds(): Set<string> {
  const kinds = new Set<string>();
  for (const b of KERNEL.values()) if (b.k === 'program') kinds.add(b.prog);
  return kinds;
}

/** What is missing for `type`, as phrases (empty when it can be generated). */
export function missingFor(type: ProgramTypeInfo, templates = templatesDir()): string[] {
  const missing: string[] = [];
  if (!compilerProgramKinds().has(type.name)) {
    missing.push(`the compiler has no ${type.declaration} program declaration in tsbpf/kernel (section '${type.section}', context ${type.context})`);
  }
  if (!ATTACHABLE.has(type.name)) missing.push(`tsbpf cannot attach it yet (${type.attach})`);
  if (!existsSync(`${templates}${type.name}`)) missing.push(`there is no project template (templates/${type.name})`);
  return missing;
}

export function findProgramType(name: string): ProgramTypeInfo | undefined {
  return PROGRAM_TYPES.find((t) => t.name === name);
}

/** Names of the types that can be generated now. */
export function supportedTypes(templates = templatesDir()): string[] {
  return PROGRAM_TYPES.filter((t) => missingFor(t, templates).length === 0).map((t) => t.name);
}

/** The refusal for a type that cannot be generated, or undefined when it can. */
export function refusal(type: ProgramTypeInfo, templates = templatesDir()): TsbpfError | undefined {
  const missing = missingFor(type, templates);
  if (missing.length === 0) return undefined;
  const supported = supportedTypes(templates);
  return new TsbpfError('USAGE', `program type '${type.name}' is not supported yet: ${missing.join('; ')}`,
    supported.length ? `supported today: ${supported.join(', ')} (e.g. --type ${supported.includes(DEFAULT_PROGRAM_TYPE) ? DEFAULT_PROGRAM_TYPE : supported[0]})` : undefined);
}

/** Resolves `--type`: a known, supported type, or a TsbpfError that says why not. */
export function resolveProgramType(name: string, templates = templatesDir()): ProgramTypeInfo {
  const type = findProgramType(name);
  if (!type) {
    throw new TsbpfError('USAGE', `unknown program type '${name}'`, `the types are: ${PROGRAM_TYPES.map((t) => t.name).join(', ')}`);
  }
  const no = refusal(type, templates);
  if (no) throw no;
  return type;
}
