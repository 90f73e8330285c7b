/**
 * `tsbpf run` beyond XDP, against the kernel: a tc classifier on a veth in a test namespace
 * (ping → printk lines with the packet length, Ctrl-C removes filter and qdisc), a tracepoint
 * (a child's getppid → a line with its pid; the link is gone after Ctrl-C), a kprobe (the same,
 * or on a kernel without kprobes one clear error pointing at fentry), a cgroup_skb program on a
 * test cgroup, and the errors of the new options — one line each, exit 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { need } from '../helpers/env.js';
import { withNetns, withNetnsPair, type Netns } from '../helpers/netns.js';
import { typeObject, cgroup2Root, withCgroup } from '../attach/helpers.js';
import { linkStatus } from '../../src/attach/status.js';
import { probeUnsupportedReason } from '../../src/attach/probe.js';
import { CliProcess, runCli } from './run-process.js';

const ONE_ERROR = /^tsbpf run: error: [^\n]+\n(  hint: [^\n]+\n)?$/;

/** A child that calls getppid once and exits; returns its pid. */
function getppidChild(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.ppid'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.pid!;
}

function progIdOf(run: CliProcess, name: string): number {
  const m = new RegExp(`attached '${name}' \\(prog id (\\d+)\\)`).exec(run.stderr);
  assert.ok(m, `no attach line for ${name}: ${run.stderr}`);
  return Number(m[1]);
}

const tc = (ns: Netns, ...args: string[]): string => ns.exec('tc', args).stdout;

test('tc on a veth (-m netlink: a clsact filter; tcx in test/attach/tcx.test.ts): ping lines with the packet length, Ctrl-C removes the filter and the qdisc', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping', 'tc'] })) return;
  const obj = typeObject('tc');
  await withNetnsPair(async (a, b) => {
    a.veth('va', 'vb', b);
    a.exec('ip', ['addr', 'add', '10.79.0.1/24', 'dev', 'va']);
    b.exec('ip', ['addr', 'add', '10.79.0.2/24', 'dev', 'vb']);
    const run = new CliProcess(b.prefix(), ['run', obj, '-i', 'vb', '-m', 'netlink', '--verbose']);
    try {
      await run.waitFor(/Waiting for Ctrl-C\.\.\.\n/);
      assert.match(run.stderr, /attached 'tc_count' \(prog id \d+\): tc ingress on vb \(clsact, bpf direct-action filter prio \d+ handle 0x[0-9a-f]+\) \(removed on exit, but left attached if this process is killed\)/);
      assert.match(tc(b, 'filter', 'show', 'dev', 'vb', 'ingress'), /tc_count/);
      const size = 100 + (process.pid % 300); // a length no other test's ping uses at the same time
      assert.equal(a.exec('ping', ['-c', '3', '-i', '0.2', '-W', '1', '-s', String(size), '10.79.0.2'], { allowFail: true }).status, 0);
      // Ethernet 14 + IPv4 20 + ICMP 8 + payload.
      await run.waitFor(new RegExp(`bpf_trace_printk: tsbpf tc len=${size + 42}$`, 'm'));
      const res = await run.stop('SIGINT');
      assert.equal(res.code, 0, run.stderr);
      assert.match(run.stdout, /Exiting\.\.\.\n$/);
      assert.equal(tc(b, 'filter', 'show', 'dev', 'vb', 'ingress').trim(), '');
      assert.doesNotMatch(tc(b, 'qdisc', 'show', 'dev', 'vb'), /clsact/);
    } finally {
      run.kill();
    }
    // --direction egress: the echo replies leave vb.
    const eg = new CliProcess(b.prefix(), ['run', obj, '-i', 'vb', '-m', 'netlink', '--direction', 'egress']);
    try {
      await eg.waitFor(/Waiting for Ctrl-C/);
      assert.match(tc(b, 'filter', 'show', 'dev', 'vb', 'egress'), /tc_count/);
      assert.equal(a.exec('ping', ['-c', '2', '-i', '0.2', '-W', '1', '-s', '77', '10.79.0.2'], { allowFail: true }).status, 0);
      await eg.waitFor(/tsbpf tc len=119$/m);
      assert.equal((await eg.stop('SIGINT')).code, 0, eg.stderr);
      assert.equal(tc(b, 'filter', 'show', 'dev', 'vb', 'egress').trim(), '');
    } finally {
      eg.kill();
    }
  });
});

test('tracepoint: a child\'s getppid prints its pid; after Ctrl-C the link and program are gone', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const run = new CliProcess([], ['run', typeObject('tracepoint'), '-v']);
  try {
    await run.waitFor(/Waiting for Ctrl-C\.\.\.\n/);
    assert.match(run.stderr, /attached 'tp_getppid' \(prog id \d+\): tracepoint syscalls\/sys_enter_getppid \(perf link\)\n/);
    const id = progIdOf(run, 'tp_getppid');
    assert.ok(linkStatus().some((l) => l.progId === id), 'a link holds it while running');
    const pid = getppidChild();
    await run.waitFor(new RegExp(`bpf_trace_printk: tsbpf tracepoint getppid tgid=${pid}$`, 'm'));
    const res = await run.stop('SIGINT');
    assert.equal(res.code, 0, run.stderr);
    assert.match(run.stdout, /Exiting\.\.\.\n$/);
    assert.ok(!linkStatus().some((l) => l.progId === id), 'no link after exit');
  } finally {
    run.kill();
  }
});

test('kprobe: a child\'s getppid is seen, or the kernel\'s lack of kprobes is one clear error', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  if (process.arch !== 'x64') return t.skip('the corpus program probes the x86-64 syscall entry');
  const obj = typeObject('kprobe');
  if (probeUnsupportedReason('kprobe')) {
    const r = runCli([], ['run', obj, '-p', 'kprobe_getppid']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, ONE_ERROR);
    assert.match(r.stderr, /cannot attach kprobe program 'kprobe_getppid' to __x64_sys_getppid: this kernel has no kprobes .*CONFIG_KPROBES\n  hint: trace the function with fentry\/__x64_sys_getppid or fexit\/__x64_sys_getppid instead/);
    const other = runCli([], ['run', obj, '-p', 'kretprobe_getppid', '--target', 'do_sys_openat2']);
    assert.match(other.stderr, /cannot attach kretprobe program 'kretprobe_getppid' to do_sys_openat2: this kernel has no kprobes/);
    t.diagnostic('kprobes are not available on this kernel: the error path was tested');
    return;
  }
  const run = new CliProcess([], ['run', obj, '-p', 'kprobe_getppid', '-p', 'kretprobe_getppid']);
  try {
    await run.waitFor(/Waiting for Ctrl-C/);
    const pid = getppidChild();
    await run.waitFor(new RegExp(`tsbpf kprobe getppid tgid=${pid}$`, 'm'));
    assert.equal((await run.stop('SIGINT')).code, 0, run.stderr);
  } finally {
    run.kill();
  }
  const bad = runCli([], ['run', obj, '-p', 'kprobe_getppid', '--target', 'do_sys_opnat2']);
  assert.match(bad.stderr, /unknown kernel function 'do_sys_opnat2'.*\n  hint: did you mean: .*do_sys_openat2/);
});

test('cgroup_skb on a test cgroup: a pinging process in it prints lines; the default /sys/fs/cgroup here is not v2', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping'] })) return;
  const root = cgroup2Root();
  if (!root) return t.skip('no cgroup v2 mount');
  const obj = typeObject('cgroup_skb');
  await withCgroup(async (cg) => {
    await withNetns(async (ns) => {
      const run = new CliProcess([], ['run', obj, '-p', 'cg_egress', '--cgroup', cg]);
      try {
        await run.waitFor(/Waiting for Ctrl-C/);
        const size = 200 + (process.pid % 300);
        const r = spawnSync('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec ip netns exec ${ns.name} ping -c 2 -i 0.2 -W 1 -s ${size} 127.0.0.1`], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        // Egress skbs of cgroup_skb start at the IP header: IPv4 20 + ICMP 8 + payload.
        await run.waitFor(new RegExp(`tsbpf cgroup_skb egress len=${size + 28}$`, 'm'));
        assert.equal((await run.stop('SIGINT')).code, 0, run.stderr);
      } finally {
        run.kill();
      }
    });
  });
  if (root !== '/sys/fs/cgroup') {
    const r = runCli([], ['run', obj, '-p', 'cg_egress']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, ONE_ERROR);
    assert.match(r.stderr, new RegExp(`'/sys/fs/cgroup' is not a cgroup v2 directory .*\\n  hint: cgroup v2 is mounted at ${root}.*: pass --cgroup ${root}`));
  }
});

test('run errors for the new types: one line each, exit 1', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const cases: [string[], RegExp][] = [
    [['run', typeObject('cgroup_skb')], /has 2 CGROUP_SKB programs \(cg_egress, cg_ingress\): choose one with -p NAME/],
    [['run', typeObject('sockmap')], /has 2 programs \(sock_ops_prog \[sockops\], sk_msg_prog \[sk_msg\]\): choose one with -p NAME\n  hint: give -p several times/],
    [['run', typeObject('socket_filter')], /'sock_count' is a socket filter: .*nothing for tsbpf run to attach it to\n  hint: attach it from your program with attachSocketFilter/],
    [['run', typeObject('tracepoint'), '--target', 'syscalls/sys_enter_getppd'], /unknown tracepoint 'syscalls\/sys_enter_getppd'\n  hint: did you mean: syscalls\/sys_enter_getppid/],
    [['run', typeObject('tracepoint'), '--target', 'getppid'], /'getppid' is not a tracepoint \(CATEGORY\/NAME\)/],
    [['run', typeObject('tc')], /missing -i IFACE \(the interface to attach tc program 'tc_count' to\)/],
    [['run', typeObject('tc'), '-i', 'lo', '--direction', 'up'], /unknown direction 'up'/],
    [['run', typeObject('tp_btf'), '--target', 'sys_exit'], /the target of tp_btf program 'btf_sys_enter' is fixed at load by its section \('tp_btf\/sys_enter'\)/],
    [['run', typeObject('perf_event'), '--target', 'cpu_clock'], /unknown perf event 'cpu_clock'\n  hint: use one of: cpu-clock/],
    [['run', typeObject('perf_event'), '--freq', '0'], /bad --freq '0': expected a positive integer/],
    [['run', typeObject('perf_event'), '--freq', '9', '--period', '9'], /give --freq or --period, not both/],
    [['run', typeObject('uprobe'), '-p', 'uprobe_entry'], /program 'uprobe_entry' \(section 'uprobe'\) does not say what to attach to\n  hint: name it in the section \(uprobe\/libc\.so\.6:getpid\) or pass --target/],
    [['run', typeObject('uprobe'), '-p', 'uprobe_entry', '--target', 'libc.so.6:getpdi'], /no function 'getpdi' in '.*libc.*'\n  hint: did you mean: .*getpid/],
  ];
  for (const [args, re] of cases) {
    const r = runCli([], args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, ONE_ERROR, `${args.join(' ')} printed more than one error line`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')} printed to stdout`);
  }
});
