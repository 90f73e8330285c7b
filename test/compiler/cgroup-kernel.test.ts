/**
 * cgroup hooks compiled from TypeScript, attached to a fresh cgroup v2 directory whose process
 * (a shell moved into it, then python3 inside a network namespace) makes the events: sysctl reads
 * and a refused write (examples/cgroup-sysctl-guard), a getsockopt whose answer the program
 * changes, and sock_ops callbacks of a TCP connection. Also printk and log.info from every
 * sk_buff and cgroup program type, checked on the trace pipe and in the log records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { need } from '../helpers/env.js';
import { unique, withNetns } from '../helpers/netns.js';
import { loadObject, type LoadedObject } from '../../src/loader/index.js';
import { LogReader, type LogRecord } from '../../src/log/index.js';
import { attachCgroup, cgroup2Mounts } from '../../src/attach/index.js';
import { bpf_attach_type } from '../../src/abi/index.js';
import { TracePipe } from '../../src/trace/trace-pipe.js';
import { buildExample, buildSource } from './helpers.js';

function records(r: LogReader): LogRecord[] {
  const out: LogRecord[] = [];
  for (let rec = r.next(); rec; rec = r.next()) out.push(rec);
  return out;
}

/** A cgroup v2 directory for the test, removed afterwards (after its processes left). */
async function withCgroup<T>(fn: (path: string) => Promise<T> | T): Promise<T> {
  const root = cgroup2Mounts()[0];
  if (!root) throw new Error('no cgroup v2 mount (the tests check cgroup2Mounts() first)');
  const cg = join(root, unique('tsbpf-cg'));
  mkdirSync(cg);
  try {
    return await fn(cg);
  } finally {
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(cg);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/** Runs a python3 script as a process of cgroup `cg` inside namespace `ns`; returns its stdout. */
function inCgroup(cg: string, ns: string, script: string): string {
  const file = join(tmpdir(), `${unique('tsbpf-cgpy')}.py`);
  writeFileSync(file, script);
  try {
    const r = spawnSync('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec ip netns exec ${ns} python3 ${file}`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  } finally {
    rmSync(file, { force: true });
  }
}

test('cgroup-sysctl-guard: reads are logged, a write is refused (EPERM) and logged with its value', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['python3'] })) return;
  if (!cgroup2Mounts().length) {
    t.skip('no cgroup v2 mount');
    return;
  }
  const obj = await loadObject(buildExample('cgroup-sysctl-guard').object, { name: 'sysctl', log: 'info' });
  const logs = LogReader.open(obj);
  try {
    await withCgroup((cg) => withNetns((ns) => {
      const link = attachCgroup(obj.program('sysctl_guard'), cg, bpf_attach_type.BPF_CGROUP_SYSCTL);
      try {
        const out = inCgroup(cg, ns.name, `
import errno
print(open("/proc/sys/net/ipv4/ip_forward").read().strip())
try:
    with open("/proc/sys/net/ipv4/ip_forward", "w") as f: f.write("1")
    print("written")
except OSError as e:
    print(errno.errorcode[e.errno])
`);
        assert.equal(out, '0\nEPERM', 'read allowed, write refused');
      } finally {
        link.detach();
      }
    }));
    const msgs = records(logs).map((r) => `${r.level} ${r.message}`);
    assert.ok(msgs.includes('info read net/ipv4/ip_forward'), msgs.join('\n'));
    assert.ok(msgs.includes('warn write net/ipv4/ip_forward = 1'), msgs.join('\n'));
  } finally {
    logs.close();
    obj.close();
  }
});

test('cgroup getsockopt changes an answer; sock_ops sees a TCP connection', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['python3'] })) return;
  if (!cgroup2Mounts().length) {
    t.skip('no cgroup v2 mount');
    return;
  }
  const src = `
import { cgroupSockopt, sockOps, log, type i32 } from "tsbpf/kernel";
interface OptInt { value: i32; }
export const priority_42 = cgroupSockopt("getsockopt", (ctx) => {
  if (ctx.level !== 1 || ctx.optname !== 12) return 1; // SOL_SOCKET, SO_PRIORITY
  const v = ctx.header<OptInt>(0);
  if (!v) return 1;
  v.value = 42;
  ctx.retval = 0;
  return 1;
});
export const tcp_ops = sockOps((ctx) => {
  log.info(ctx, "op {} family {}", ctx.op, ctx.family);
  return 1;
});
`;
  const obj = await loadObject(buildSource(src, 'cgroup-live.bpf.ts').object, { name: 'cglive', log: 'info' });
  const logs = LogReader.open(obj);
  try {
    await withCgroup((cg) => withNetns((ns) => {
      const links = [
        attachCgroup(obj.program('priority_42'), cg, bpf_attach_type.BPF_CGROUP_GETSOCKOPT),
        attachCgroup(obj.program('tcp_ops'), cg, bpf_attach_type.BPF_CGROUP_SOCK_OPS),
      ];
      try {
        const out = inCgroup(cg, ns.name, `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY), s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) > 0)
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
c = socket.create_connection(srv.getsockname()); a, _ = srv.accept(); c.close(); a.close()
print("connected")
`);
        assert.equal(out, '42 True\nconnected');
      } finally {
        for (const l of links) l.detach();
      }
    }));
    const ops = new Set(records(logs).filter((r) => r.target === 'tcp_ops').map((r) => r.message));
    assert.ok(ops.has('op 3 family 2'), `BPF_SOCK_OPS_TCP_CONNECT_CB for an AF_INET socket: ${[...ops].join(', ')}`);
    assert.ok(ops.has('op 4 family 2') || ops.has('op 5 family 2'), `an ESTABLISHED callback: ${[...ops].join(', ')}`);
  } finally {
    logs.close();
    obj.close();
  }
});

test('printk and log.info work in tc, socket filter, cgroup_skb programs (test runs)', async (t) => {
  if (!need(t, { kernel: true })) return;
  const marker = `tsbpf-${process.pid}-${Date.now() % 100000}`;
  const src = `
import { tc, socketFilter, cgroupSkb, TcAction, log, printk } from "tsbpf/kernel";
export const t1 = tc((skb) => { printk("${marker} tc %u", skb.len); log.info(skb, "tc {}", skb.len); return TcAction.OK; });
export const t2 = socketFilter((skb) => { printk("${marker} socket %u", skb.len); log.info(skb, "socket {}", skb.len); return skb.len; });
export const t3 = cgroupSkb("ingress", (skb) => { printk("${marker} cgroup %u", skb.len); log.info(skb, "cgroup {}", skb.len); return 1; });
`;
  const obj: LoadedObject = await loadObject(buildSource(src, 'printk.bpf.ts').object, { name: 'printk', log: 'info' });
  const logs = LogReader.open(obj);
  const pipe = TracePipe.open({ filter: marker });
  try {
    const pkt = new Uint8Array(60);
    pkt.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    assert.equal(obj.program('t1').testRun(pkt).retval, 0);
    assert.equal(obj.program('t2').testRun(pkt).retval, 46);
    assert.equal(obj.program('t3').testRun(pkt).retval, 1);
    assert.deepEqual(records(logs).map((r) => `${r.target}: ${r.message}`), ['t1: tc 60', 't2: socket 46', 't3: cgroup 46']);
    const lines: string[] = [];
    const deadline = Date.now() + 5000;
    while (lines.length < 3 && Date.now() < deadline) {
      const l = await Promise.race([pipe.nextLine(), new Promise<undefined>((res) => { setTimeout(() => res(undefined), 500).unref(); })]);
      if (l) lines.push(String(l).replace(/^.*bpf_trace_printk: /, ''));
    }
    assert.deepEqual(lines, [`${marker} tc 60`, `${marker} socket 46`, `${marker} cgroup 46`]);
  } finally {
    pipe.close();
    logs.close();
    obj.close();
  }
});
