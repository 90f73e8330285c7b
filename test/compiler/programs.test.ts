/**
 * Program kinds without a kernel: every declaration of tsbpf/kernel compiles to the section
 * libbpf's conventions give it, which our object parser reads back as the right program type,
 * expected attach type and target; the program's BTF prototype takes the kernel's context struct;
 * llvm-objdump reads every object; fexit's ctx.ret() slot comes from the kernel's BTF.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseObject } from '../../src/object/index.js';
import { progTypeName } from '../../src/abi/index.js';
import { parseBtf } from '../../src/btf/index.js';
import { kernelFunctionArgs, VMLINUX_BTF } from '../../src/compiler/vmlinux.js';
import { compile } from '../../src/compiler/compile.js';
import { PROGRAM_KINDS } from '../../src/compiler/program-kinds.js';
import { buildSource, TEST_DIR, withTempFile } from './helpers.js';

const SRC = `
import {
  xdp, tc, socketFilter, cgroupSkb, kprobe, kretprobe, uprobe, uretprobe, tracepoint, rawTracepoint, perfEvent,
  fentry, fexit, tpBtf, lsm, cgroupSysctl, cgroupSockopt, sockOps, skMsg, SockHash, XdpAction, TcAction, type u32,
} from "tsbpf/kernel";
export const socks = new SockHash<u32>({ maxEntries: 4 });
export const p_xdp = xdp((ctx) => XdpAction.PASS);
export const p_frags = xdp({ frags: true }, (ctx) => XdpAction.PASS);
export const p_tc = tc((skb) => TcAction.OK);
export const p_socket = socketFilter((skb) => skb.len);
export const p_cg_in = cgroupSkb("ingress", (skb) => 1);
export const p_cg_out = cgroupSkb("egress", (skb) => 3);
export const p_kprobe = kprobe("do_sys_openat2", (ctx) => 0);
export const p_kprobe_any = kprobe((ctx) => 0);
export const p_kretprobe = kretprobe("do_sys_openat2", (ctx) => 0);
export const p_uprobe = uprobe("/usr/bin/bash:readline", (ctx) => 0);
export const p_uretprobe = uretprobe("libc.so.6:malloc", (ctx) => 0);
export const p_tp = tracepoint("syscalls/sys_enter_openat", (ctx) => 0);
export const p_raw = rawTracepoint("sys_enter", (ctx) => 0);
export const p_perf = perfEvent((ctx) => 0);
export const p_fentry = fentry("do_unlinkat", (ctx) => 0);
export const p_fexit = fexit("do_unlinkat", (ctx) => 0);
export const p_tp_btf = tpBtf("sched_switch", (ctx) => 0);
export const p_lsm = lsm("file_open", (ctx) => 0);
export const p_sysctl = cgroupSysctl((ctx) => 1);
export const p_getsockopt = cgroupSockopt("getsockopt", (ctx) => 1);
export const p_setsockopt = cgroupSockopt("setsockopt", (ctx) => 1);
export const p_sockops = sockOps((ctx) => 1);
export const p_sk_msg = skMsg((ctx) => 1);
`;

/** name → [section, program type, expected attach type or '', attach target or '', context struct]. */
const EXPECTED: Record<string, [string, string, string, string, string]> = {
  p_xdp: ['xdp', 'xdp', 'BPF_XDP', '', 'xdp_md'],
  p_frags: ['xdp.frags', 'xdp', 'BPF_XDP', '', 'xdp_md'],
  p_tc: ['tc', 'sched_cls', '', '', '__sk_buff'],
  p_socket: ['socket', 'socket_filter', '', '', '__sk_buff'],
  p_cg_in: ['cgroup_skb/ingress', 'cgroup_skb', 'BPF_CGROUP_INET_INGRESS', '', '__sk_buff'],
  p_cg_out: ['cgroup_skb/egress', 'cgroup_skb', 'BPF_CGROUP_INET_EGRESS', '', '__sk_buff'],
  p_kprobe: ['kprobe/do_sys_openat2', 'kprobe', '', 'do_sys_openat2', 'pt_regs'],
  p_kprobe_any: ['kprobe', 'kprobe', '', '', 'pt_regs'],
  p_kretprobe: ['kretprobe/do_sys_openat2', 'kprobe', '', 'do_sys_openat2', 'pt_regs'],
  p_uprobe: ['uprobe//usr/bin/bash:readline', 'kprobe', '', '/usr/bin/bash:readline', 'pt_regs'],
  p_uretprobe: ['uretprobe/libc.so.6:malloc', 'kprobe', '', 'libc.so.6:malloc', 'pt_regs'],
  p_tp: ['tracepoint/syscalls/sys_enter_openat', 'tracepoint', '', 'syscalls/sys_enter_openat', 'trace_entry'],
  p_raw: ['raw_tracepoint/sys_enter', 'raw_tracepoint', '', 'sys_enter', 'bpf_raw_tracepoint_args'],
  p_perf: ['perf_event', 'perf_event', '', '', 'bpf_perf_event_data'],
  p_fentry: ['fentry/do_unlinkat', 'tracing', 'BPF_TRACE_FENTRY', 'do_unlinkat', ''],
  p_fexit: ['fexit/do_unlinkat', 'tracing', 'BPF_TRACE_FEXIT', 'do_unlinkat', ''],
  p_tp_btf: ['tp_btf/sched_switch', 'tracing', 'BPF_TRACE_RAW_TP', 'sched_switch', ''],
  p_lsm: ['lsm/file_open', 'lsm', 'BPF_LSM_MAC', 'file_open', ''],
  p_sysctl: ['cgroup/sysctl', 'cgroup_sysctl', 'BPF_CGROUP_SYSCTL', '', 'bpf_sysctl'],
  p_getsockopt: ['cgroup/getsockopt', 'cgroup_sockopt', 'BPF_CGROUP_GETSOCKOPT', '', 'bpf_sockopt'],
  p_setsockopt: ['cgroup/setsockopt', 'cgroup_sockopt', 'BPF_CGROUP_SETSOCKOPT', '', 'bpf_sockopt'],
  p_sockops: ['sockops', 'sock_ops', 'BPF_CGROUP_SOCK_OPS', '', 'bpf_sock_ops'],
  p_sk_msg: ['sk_msg', 'sk_msg', 'BPF_SK_MSG_VERDICT', '', 'sk_msg_md'],
};

test('every program kind compiles to its libbpf section, read back as the right type, attach type and target', () => {
  const obj = parseObject(buildSource(SRC, 'kinds.bpf.ts').object);
  const seen = new Set<string>();
  for (const p of obj.programs) {
    const e = EXPECTED[p.name];
    assert.ok(e, `unexpected program ${p.name}`);
    seen.add(p.name);
    const st = p.type;
    assert.equal(p.section, e[0], `${p.name}: section`);
    assert.ok(st, `${p.name}: a known convention`);
    assert.equal(progTypeName(st.progType), e[1], `${p.name}: program type`);
    assert.equal(st.attachTypeName ?? '', e[2], `${p.name}: expected attach type`);
    assert.equal(st.attachTarget ?? '', e[3], `${p.name}: target`);
  }
  assert.deepEqual([...seen].sort(), Object.keys(EXPECTED).sort());
  // every kind of program-kinds.ts is covered above
  const kinds = new Set(obj.programs.map((p) => p.name.replace(/^p_/, '')));
  for (const k of PROGRAM_KINDS.values()) assert.ok(SRC.includes(`${k.fn}(`), `${k.fn} is exercised`);
});

test("each program's BTF prototype takes a pointer to its kernel context struct", () => {
  const bytes = buildSource(SRC, 'kinds.bpf.ts').object;
  const obj = parseObject(bytes);
  const btf = parseBtf(obj.btf!.bytes);
  for (const p of obj.programs) {
    const fn = btf.find(p.name, 'FUNC')!;
    assert.ok(fn, `${p.name}: FUNC`);
    const proto = btf.type((fn as { type: number }).type) as { kind: string; params: { type: number }[] };
    assert.equal(proto.kind, 'FUNC_PROTO');
    assert.equal(proto.params.length, 1);
    const name = btf.typeName(proto.params[0]!.type);
    const want = EXPECTED[p.name]![4];
    assert.equal(name, want ? `struct ${want} *` : 'u64 *', `${p.name}: parameter type`);
  }
});

test('llvm-objdump reads every program-kind fixture without warnings', (t) => {
  if (spawnSync('llvm-objdump', ['--version']).status !== 0) return t.skip('llvm-objdump is not installed');
  for (const f of ['tc', 'skb', 'probes', 'tracepoints', 'tracing', 'cgroup', 'skmsg']) {
    const r = buildSource(readFileSync(join(TEST_DIR, 'fixtures', 'codegen', `${f}.bpf.ts`), 'utf8'), `${f}.bpf.ts`);
    withTempFile(r.object, (path) => {
      const out = spawnSync('llvm-objdump', ['-d', '-r', path], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      assert.equal(out.stderr, '', `${f}: no warnings`);
    });
  }
});

test("fexit's ctx.ret() reads the slot after the traced function's arguments (kernel BTF)", (t) => {
  if (!existsSync(VMLINUX_BTF)) return t.skip(`${VMLINUX_BTF} is missing (no kernel BTF here)`);
  const n = kernelFunctionArgs('do_unlinkat');
  assert.equal(typeof n, 'number', String(n));
  const src = `import { fexit, type u64 } from "tsbpf/kernel";
let last: u64 = 0;
export const f = fexit("do_unlinkat", (ctx) => { last = ctx.ret(); });`;
  const obj = parseObject(buildSource(src).object);
  const load = obj.programs[0]!.insns.find((i) => i.kind === 'ldx');
  assert.ok(load && load.kind === 'ldx' && load.off === (n as number) * 8, `loads slot ${n}`);
  const missing = compile(src.replace(/do_unlinkat/g, 'no_such_function_xyz'));
  assert.match(missing.diagnostics.map((d) => d.message).join('\n'), /the kernel's BTF has no function 'no_such_function_xyz'/);
  assert.match(String(kernelFunctionArgs('do_unlinkat', '/dev/null')), /is not BTF/);
});
