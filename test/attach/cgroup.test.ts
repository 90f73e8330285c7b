/**
 * cgroup programs on a test cgroup under the cgroup v2 mount (removed afterwards): cgroup_skb
 * egress/ingress count the pings of a process placed in the cgroup (inside a test namespace) and
 * not those of a process outside it; cgroup/sysctl sees a sysctl read; cgroup/getsockopt sees
 * getsockopt calls; sock_ops puts the cgroup's TCP sockets into a sockhash, where an sk_msg
 * program counts what they send. All stop after detach; cgroup links show in the status with
 * the cgroup's path; a path that is not cgroup v2 is an error naming the v2 mount.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { need } from '../helpers/env.js';
import { withNetns, type Netns } from '../helpers/netns.js';
import { attachProgram, planFor } from '../../src/attach/auto.js';
import { AttachError } from '../../src/attach/common.js';
import { attachCgroup } from '../../src/attach/cgroup.js';
import { linkStatus } from '../../src/attach/status.js';
import { bpf_attach_type } from '../../src/abi/index.js';
import { cgroup2Root, loadType, num, probeTarget, runTarget, withCgroup } from './helpers.js';

function pingFrom(ns: Netns, cgroup: string | undefined, count: number): void {
  const inner = `exec ip netns exec ${ns.name} ping -c ${count} -i 0.2 -W 1 127.0.0.1`;
  const script = cgroup ? `echo $$ > ${cgroup}/cgroup.procs && ${inner}` : inner;
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `ping failed: ${r.stdout}${r.stderr}`);
}

function haveCgroup2(t: import('node:test').TestContext): boolean {
  if (cgroup2Root()) return true;
  t.skip('no cgroup v2 mount on this machine (mount -t cgroup2 none /sys/fs/cgroup/unified)');
  return false;
}

test('cgroup_skb egress/ingress count the packets of processes in the cgroup only', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping'] }) || !haveCgroup2(t)) return;
  const obj = await loadType('cgroup_skb');
  try {
    await withCgroup(async (cg) => {
      await withNetns(async (ns) => {
        const eg = attachProgram(obj, 'cg_egress', { cgroup: cg });
        const ing = attachProgram(obj, 'cg_ingress', { cgroup: cg });
        try {
          assert.equal(eg.description, `cgroup inet_egress on ${cg}`);
          const link = linkStatus().find((l) => l.progId === obj.program('cg_egress').id);
          assert.equal(link?.type, 'cgroup');
          assert.equal(link?.attachType, 'cgroup_inet_egress');
          assert.equal(link?.target, cg, 'the status names the cgroup by path');
          pingFrom(ns, undefined, 2); // outside the cgroup
          assert.equal(num(obj, 'egress_packets'), 0);
          pingFrom(ns, cg, 3);
          assert.equal(num(obj, 'egress_packets'), 3, 'three echo requests sent');
          assert.equal(num(obj, 'ingress_packets'), 3, 'three echo replies received');
        } finally {
          eg.detach();
          ing.detach();
        }
        pingFrom(ns, cg, 2);
        assert.equal(num(obj, 'egress_packets'), 3, 'nothing after detach');
        assert.equal(num(obj, 'ingress_packets'), 3);
      });
    });
  } finally {
    obj.close();
  }
});

test('cgroup/sysctl sees a sysctl read by a process in the cgroup', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] }) || !haveCgroup2(t)) return;
  const obj = await loadType('cgroup_sysctl');
  try {
    await withCgroup(async (cg) => {
      const read = () => {
        const r = spawnSync('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec cat /proc/sys/kernel/ostype`], { encoding: 'utf8' });
        assert.equal(r.stdout.trim(), 'Linux', r.stderr);
      };
      const att = attachProgram(obj, 'cg_sysctl', { cgroup: cg });
      try {
        read();
        assert.ok(num(obj, 'accesses') >= 1);
        assert.equal(obj.readGlobal('last_name'), 'kernel/ostype');
      } finally {
        att.detach();
      }
      const n = num(obj, 'accesses');
      read();
      assert.equal(num(obj, 'accesses'), n);
    });
  } finally {
    obj.close();
  }
});

test('cgroup/getsockopt counts getsockopt calls of the cgroup (SOL_SOCKET, SO_TYPE)', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'gcc'] }) || !haveCgroup2(t)) return;
  const obj = await loadType('cgroup_sockopt');
  try {
    await withCgroup(async (cg) => {
      const att = attachProgram(obj, 'cg_getsockopt', { cgroup: cg });
      try {
        runTarget(['sockopt', '4'], { cgroup: cg });
        assert.equal(num(obj, 'calls'), 4);
        assert.equal(num(obj, 'last_level'), 1, 'SOL_SOCKET');
        assert.equal(num(obj, 'last_optname'), 3, 'SO_TYPE');
      } finally {
        att.detach();
      }
      runTarget(['sockopt', '2'], { cgroup: cg });
      assert.equal(num(obj, 'calls'), 4);
    });
  } finally {
    obj.close();
  }
});

test('sock_ops fills a sockhash with the cgroup\'s TCP sockets; sk_msg on it counts their messages', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'gcc', 'ip'] }) || !haveCgroup2(t)) return;
  const obj = await loadType('sockmap');
  try {
    await withCgroup(async (cg) => {
      await withNetns(async (ns) => {
        const ops = attachProgram(obj, 'sock_ops_prog', { cgroup: cg });
        const msg = attachProgram(obj, 'sk_msg_prog');
        try {
          assert.equal(ops.description, `cgroup sock_ops on ${cg}`);
          assert.match(msg.description, /^sk_msg on map 'socks' \(id \d+\)$/);
          // Join the cgroup before entering the namespace (ip netns exec hides /sys/fs/cgroup).
          const r = spawnSync('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec ip netns exec ${ns.name} "$0" tcp 40123 5`, probeTarget()], { encoding: 'utf8', timeout: 30_000 });
          assert.equal(r.status, 0, r.stderr);
          assert.ok(num(obj, 'ops') > 0);
          assert.equal(num(obj, 'established'), 2, 'both ends of the connection');
          assert.equal(num(obj, 'messages'), 10, 'five messages each way');
          assert.equal(num(obj, 'msg_bytes'), 1000);
        } finally {
          msg.detach();
          ops.detach();
        }
        const before = [num(obj, 'ops'), num(obj, 'messages')];
        const r = spawnSync('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec ip netns exec ${ns.name} "$0" tcp 40124 2`, probeTarget()], { encoding: 'utf8', timeout: 30_000 });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual([num(obj, 'ops'), num(obj, 'messages')], before, 'nothing after detach');
      });
    });
  } finally {
    obj.close();
  }
});

test('cgroup errors: not cgroup v2 (naming the v2 mount), missing cgroup, --direction on a fixed hook', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] }) || !haveCgroup2(t)) return;
  const obj = await loadType('cgroup_skb');
  try {
    const root = cgroup2Root()!;
    assert.throws(() => attachCgroup({ fd: obj.program('cg_egress').fd, name: 'cg_egress' }, '/proc', bpf_attach_type.BPF_CGROUP_INET_EGRESS), (e: unknown) =>
      e instanceof AttachError && /'\/proc' is not a cgroup v2 directory/.test(e.message) && (e.hint ?? '').includes(`--cgroup ${root}`));
    assert.throws(() => planFor(obj.model, 'cg_egress', { cgroup: `${root}/tsbpf-no-such-cgroup` }), /no cgroup '.*tsbpf-no-such-cgroup'/);
    assert.throws(() => planFor(obj.model, 'cg_egress', { cgroup: root, direction: 'ingress' }), /--direction is not used for 'cg_egress' \(section 'cgroup_skb\/egress' says inet_egress\)/);
    assert.throws(() => planFor(obj.model, 'cg_egress', { cgroup: root, target: 'x' }), /--target is not used for cgroup_skb programs/);
  } finally {
    obj.close();
  }
});
