/**
 * Attach planning without the kernel: section → method and its refusals (socket filters,
 * iterators, unknown types, missing targets, conflicting options), the "did you mean" ranking,
 * host ELF symbol parsing (offsets through PT_LOAD, malformed input refused), the perf_event_attr
 * encoding, and that the section conventions tsbpf attaches map to program types (tc/ingress →
 * SCHED_CLS with BPF_TCX_INGRESS, from the uapi supplement over the 6.1 header).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sectionProgramType } from '../../src/object/section-types.js';
import { planAttach } from '../../src/attach/plan.js';
import { AttachError, editDistance, nearMatches } from '../../src/attach/common.js';
import { HostElfError, hostFunctionSymbols } from '../../src/attach/elf-symbols.js';
import { perfEventAttr, PERF_TYPE } from '../../src/sys/perf-probe.js';

const prog = (section: string, name = 'p') => ({ name, section, type: sectionProgramType(section) });

test('sections of every attachable kind map to a program type', () => {
  const cases: [string, string, string | undefined][] = [
    ['tc', 'BPF_PROG_TYPE_SCHED_CLS', undefined],
    ['tc/ingress', 'BPF_PROG_TYPE_SCHED_CLS', undefined], // exact conventions (BPF_TCX_INGRESS/EGRESS)
    ['tc/egress', 'BPF_PROG_TYPE_SCHED_CLS', undefined],
    ['classifier', 'BPF_PROG_TYPE_SCHED_CLS', undefined],
    ['kprobe/do_sys_openat2', 'BPF_PROG_TYPE_KPROBE', 'do_sys_openat2'],
    ['uretprobe/libc.so.6:getpid', 'BPF_PROG_TYPE_KPROBE', 'libc.so.6:getpid'],
    ['tracepoint/syscalls/sys_enter_openat', 'BPF_PROG_TYPE_TRACEPOINT', 'syscalls/sys_enter_openat'],
    ['raw_tp/sched_switch', 'BPF_PROG_TYPE_RAW_TRACEPOINT', 'sched_switch'],
    ['cgroup_skb/egress', 'BPF_PROG_TYPE_CGROUP_SKB', undefined],
    ['sockops', 'BPF_PROG_TYPE_SOCK_OPS', undefined],
    ['perf_event', 'BPF_PROG_TYPE_PERF_EVENT', undefined],
    ['sk_msg', 'BPF_PROG_TYPE_SK_MSG', undefined],
  ];
  for (const [sec, type, target] of cases) {
    const st = sectionProgramType(sec);
    assert.equal(st?.progTypeName, type, sec);
    assert.equal(st?.attachTarget, target, sec);
  }
});

test('plans refuse what tsbpf cannot attach, naming why', () => {
  const refuse = (section: string, re: RegExp, opts = {}) => assert.throws(() => planAttach(prog(section, 'x'), opts), (e: unknown) => e instanceof AttachError && re.test(`${e.message} | ${e.hint ?? ''}`), section);
  refuse('socket', /'x' is a socket filter: .*SO_ATTACH_BPF.* \| attach it from your program with attachSocketFilter/);
  refuse('iter/task', /is a BPF iterator .* iterators are read, not attached/);
  refuse('lwt_in', /tsbpf cannot attach lwt_in programs yet/);
  refuse('kprobe.multi/do_*', /cannot attach kprobe\.multi programs yet/);
  refuse('usdt/x', /cannot attach usdt programs yet/);
  refuse('weird_section', /section 'weird_section', which names no program type/);
  refuse('xdp', /missing -i IFACE \(the interface to attach XDP program 'x' to\)/);
  refuse('xdp', /--target is not used for XDP programs/, { target: 'y' });
  refuse('xdp', /unknown XDP mode 'turbo'/, { iface: 'lo', xdpMode: 'turbo' });
  refuse('xdp/devmap', /runs from a devmap\/cpumap entry/, { iface: 'lo' });
  refuse('tc', /missing -i IFACE \(the interface to attach tc program 'x' to\)/);
  refuse('tc/ingress', /is for tc ingress \(section 'tc\/ingress'\), not egress/, { direction: 'egress', iface: 'lo' });
  refuse('tracepoint', /does not say what to attach to \| name it in the section \(tracepoint\/syscalls\/sys_enter_openat\) or pass --target/);
  refuse('tracepoint/nocategory', /'nocategory' is not a tracepoint \(CATEGORY\/NAME\)/);
  refuse('raw_tp', /does not say what to attach to/);
  refuse('uprobe', /does not say what to attach to \| .*uprobe\/libc\.so\.6:getpid/);
  refuse('uprobe/getpid', /'getpid' is not a uprobe target/);
  refuse('kprobe/a b', /'a b' is not a kernel function|this kernel has no kprobes/);
  refuse('fentry', /names no fentry target \| e\.g\. SEC\("fentry\/do_sys_openat2"\)/);
  refuse('lsm', /names no lsm target \| e\.g\. SEC\("lsm\/file_open"\)/);
  refuse('fentry/do_sys_openat2', /is fixed at load by its section \('fentry\/do_sys_openat2'\); --target x cannot change it/, { target: 'x' });
  refuse('perf_event', /unknown perf event 'cycle' \| use one of: cpu-clock/, { target: 'cycle' });
  refuse('cgroup/skb', /unknown direction 'up'/, { direction: 'up' });
  refuse('sk_msg', /attaches to a sockmap or sockhash: the object has none/);
  assert.throws(() => planAttach({ ...prog('sk_msg'), maps: [{ name: 'a', type: 15 }, { name: 'b', type: 18 }] }), /the object has 2 \(a, b\): choose one with --target MAP/);
  assert.throws(() => planAttach({ ...prog('sk_msg'), maps: [{ name: 'a', type: 15 }] }, { target: 'c' }), /no sockmap or sockhash 'c' in the object/);
  const plan = planAttach({ ...prog('sk_msg', 'm'), maps: [{ name: 'socks', type: 18 }] });
  assert.equal(plan.label, "sk_msg on map 'socks'");
  assert.equal(planAttach(prog('raw_tp/sched_switch')).label, 'raw tracepoint sched_switch');
  assert.equal(planAttach(prog('raw_tp'), { target: 'sys_exit' }).label, 'raw tracepoint sys_exit');
  assert.equal(planAttach(prog('perf_event'), { target: 'page-faults' }).label, 'perf event page-faults');
});

test('near matches: closest names first, shared prefixes break ties, bounded edit distance', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('a', 'abcdefghijklmnop', 3), 4, 'stops early above the bound');
  const names = ['sys_enter_getpid', 'sys_enter_getppid', 'sys_enter_getcwd', 'sched_switch', 'do_sys_openat2'];
  assert.deepEqual(nearMatches('sys_enter_getppd', names).slice(0, 2), ['sys_enter_getppid', 'sys_enter_getpid']);
  assert.deepEqual(nearMatches('openat2', names), ['do_sys_openat2'], 'a substring matches');
  assert.deepEqual(nearMatches('zzzzzzzz', names), []);
});

test('host ELF symbols: file offsets through PT_LOAD; malformed files refused', () => {
  const self = readFileSync(process.execPath); // node: a real x86-64/arm64 executable with .dynsym
  const syms = hostFunctionSymbols(self, process.execPath);
  assert.ok(syms.length > 100);
  const main = syms.find((s) => s.name === 'main') ?? syms[0]!;
  assert.ok(main.fileOffset >= 0n && main.fileOffset < BigInt(self.length));
  assert.throws(() => hostFunctionSymbols(new Uint8Array(10), 'tiny'), (e: unknown) => e instanceof HostElfError && /no ELF magic/.test(e.message));
  const bad = new Uint8Array(self.subarray(0, 64));
  assert.throws(() => hostFunctionSymbols(bad, 'cut'), /lie outside the file/);
  const be = new Uint8Array(self.subarray(0, 64));
  be[5] = 2;
  assert.throws(() => hostFunctionSymbols(be, 'be'), /not ELF64 little-endian/);
});

test('perf_event_attr encoding: type, config, period/frequency flag, config1/2', () => {
  const a = perfEventAttr({ type: PERF_TYPE.SOFTWARE, config: 0, sampleFreq: 99 });
  const v = new DataView(a.buffer, a.byteOffset, a.byteLength);
  assert.equal(v.getUint32(0, true), 1);
  assert.equal(v.getUint32(4, true), 128, 'attr size');
  assert.equal(v.getBigUint64(16, true), 99n);
  assert.equal(v.getBigUint64(40, true) & (1n << 10n), 1n << 10n, 'freq bit');
  const keep: Uint8Array[] = [];
  const k = perfEventAttr({ type: 8, config: 1n, config1: '/usr/bin/true', config2: 0x1130n, samplePeriod: 1 }, keep);
  const kv = new DataView(k.buffer, k.byteOffset, k.byteLength);
  assert.equal(kv.getBigUint64(8, true), 1n, 'retprobe bit in config');
  assert.equal(kv.getBigUint64(16, true), 1n);
  assert.equal(kv.getBigUint64(40, true), 0n, 'no flags: enabled, period');
  assert.equal(kv.getBigUint64(64, true), 0x1130n);
  assert.equal(keep.length, 1);
  assert.equal(Buffer.from(keep[0]!).toString('utf8'), '/usr/bin/true\0');
});

test('the attachable template types each have a section that plans (the list is kept in step with plan.ts)', async () => {
  const { ATTACHABLE_TEMPLATE_TYPES, NOT_RUNNABLE_TEMPLATE_TYPES } = await import('../../src/attach/supported.js');
  // aya-template type → a section of that type whose plan needs no kernel state.
  const sample: Record<string, [string, object]> = {
    cgroup_skb: ['cgroup_skb/ingress', {}], cgroup_sockopt: ['cgroup/getsockopt', {}], cgroup_sysctl: ['cgroup/sysctl', {}],
    classifier: ['classifier', {}], fentry: ['fentry', {}], fexit: ['fexit', {}], kprobe: ['kprobe', {}], kretprobe: ['kretprobe', {}],
    lsm: ['lsm', {}], perf_event: ['perf_event', {}], raw_tracepoint: ['raw_tracepoint/sys_enter', {}], sk_msg: ['sk_msg', {}],
    sock_ops: ['sockops', {}], tp_btf: ['tp_btf', {}], tracepoint: ['tracepoint', {}], uprobe: ['uprobe', {}], uretprobe: ['uretprobe', {}], xdp: ['xdp', {}],
  };
  assert.deepEqual([...ATTACHABLE_TEMPLATE_TYPES].sort(), Object.keys(sample).sort());
  for (const [type, [section, opts]] of Object.entries(sample)) {
    // Either a plan, or an error about the missing target/interface/cgroup — never "cannot attach … yet".
    try {
      planAttach({ ...prog(section), maps: [{ name: 'm', type: 18 }] }, opts);
    } catch (e) {
      assert.ok(e instanceof AttachError, `${type}: ${String(e)}`);
      assert.doesNotMatch(e.message, /cannot attach .* yet|names no program type/, type);
    }
  }
  assert.throws(() => planAttach(prog('socket')), /socket filter/);
  assert.deepEqual(Object.keys(NOT_RUNNABLE_TEMPLATE_TYPES), ['socket_filter']);
});
