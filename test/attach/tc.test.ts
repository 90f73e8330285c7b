/**
 * tc classifiers attached as netlink clsact filters (mode netlink; tcx links are tcx.test.ts's)
 * on a veth pair between two test namespaces: ingress and egress filters count the pings
 * crossing the link, a dropping classifier stops them (through either mode), detach removes our
 * filter and the clsact qdisc only when we created it (checked with `tc`), failures leave nothing
 * behind, and the status view lists the filter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need } from '../helpers/env.js';
import { withNetnsPair, type Netns } from '../helpers/netns.js';
import { attachProgram } from '../../src/attach/auto.js';
import { AttachError } from '../../src/attach/common.js';
import { tcStatus } from '../../src/attach/status.js';
import { TcAttachment, attachTc } from '../../src/attach/tc.js';
import { InterfaceError } from '../../src/sys/netif.js';
import { inNetns } from '../../src/sys/netns.js';
import { loadType, num } from './helpers.js';

function pair(a: Netns, b: Netns): void {
  a.veth('va', 'vb', b);
  a.exec('ip', ['addr', 'add', '10.78.0.1/24', 'dev', 'va']);
  b.exec('ip', ['addr', 'add', '10.78.0.2/24', 'dev', 'vb']);
}

function ping(a: Netns, count = 3): boolean {
  return a.exec('ping', ['-c', String(count), '-i', '0.2', '-W', '1', '10.78.0.2'], { allowFail: true }).status === 0;
}

const tc = (ns: Netns, ...args: string[]): string => ns.exec('tc', args).stdout;

test('netlink: ingress classifier counts pings; detach removes the filter and the clsact qdisc it added', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping', 'tc'] })) return;
  const obj = await loadType('tc');
  try {
    await withNetnsPair(async (a, b) => {
      pair(a, b);
      assert.ok(ping(a, 1), 'the veth pair works');
      const att = inNetns(b.name, () => attachProgram(obj, 'tc_count', { iface: 'vb', tcMode: 'netlink' }));
      try {
        assert.equal(att.kind, 'tc');
        assert.equal(att.diesWithProcess, false, 'a netlink filter outlives the process');
        assert.match(att.description, /^tc ingress on vb \(clsact, bpf direct-action filter prio \d+ handle 0x[0-9a-f]+\)$/);
        assert.match(tc(b, 'qdisc', 'show', 'dev', 'vb'), /qdisc clsact ffff:/);
        const shown = tc(b, 'filter', 'show', 'dev', 'vb', 'ingress');
        assert.match(shown, /bpf .*tc_count:\[\d+\] direct-action/);
        const st = inNetns(b.name, () => tcStatus());
        assert.equal(st.length, 1);
        assert.deepEqual({ ifname: st[0]!.ifname, direction: st[0]!.direction, progName: st[0]!.progName, directAction: st[0]!.directAction }, { ifname: 'vb', direction: 'ingress', progName: 'tc_count', directAction: true });
        assert.ok(ping(a, 3));
        assert.ok(num(obj, 'packets') >= 3, `3 echo requests seen (${num(obj, 'packets')})`);
        assert.ok(num(obj, 'bytes') >= 3 * 98, 'each at least 98 bytes (Ethernet + IPv4 + ICMP + 56)');
      } finally {
        inNetns(b.name, () => att.detach());
      }
      assert.equal(tc(b, 'filter', 'show', 'dev', 'vb', 'ingress').trim(), '', 'our filter is gone');
      assert.doesNotMatch(tc(b, 'qdisc', 'show', 'dev', 'vb'), /clsact/, 'the qdisc we added is gone');
      const before = num(obj, 'packets');
      assert.ok(ping(a, 2));
      assert.equal(num(obj, 'packets'), before, 'nothing counted after detach');
    });
  } finally {
    obj.close();
  }
});

test('netlink: tc/egress from the section; an existing clsact qdisc and other filters are left alone', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping', 'tc'] })) return;
  const egress = await loadType('tc_egress');
  const count = await loadType('tc');
  try {
    await withNetnsPair(async (a, b) => {
      pair(a, b);
      b.exec('tc', ['qdisc', 'add', 'dev', 'vb', 'clsact']); // someone else's qdisc
      const eg = inNetns(b.name, () => attachProgram(egress, 'tc_egress', { iface: 'vb', tcMode: 'netlink' }));
      // A priority is a netlink filter setting: it picks netlink in the default (auto) mode.
      const ing = inNetns(b.name, () => attachTc({ fd: count.program('tc_count').fd, name: 'tc_count' }, 'vb', { direction: 'ingress', priority: 7 }));
      try {
        assert.match(eg.description, /^tc egress on vb \(clsact/);
        assert.ok(ing instanceof TcAttachment, `priority 7 gave a netlink filter: ${ing.description}`);
        assert.equal(ing.priority, 7);
        assert.match(tc(b, 'filter', 'show', 'dev', 'vb', 'egress'), /tc_egress:\[\d+\] direct-action/);
        assert.match(tc(b, 'filter', 'show', 'dev', 'vb', 'ingress'), /pref 7 bpf .*tc_count/);
        assert.ok(ping(a, 3));
        assert.ok(num(egress, 'packets') >= 3, 'echo replies leave through vb egress');
        assert.ok(num(count, 'packets') >= 3);
        assert.throws(() => inNetns(b.name, () => attachProgram(egress, 'tc_egress', { iface: 'vb', direction: 'ingress' })), /is for tc egress \(section 'tc\/egress'\), not ingress/);
      } finally {
        inNetns(b.name, () => eg.detach());
      }
      assert.equal(tc(b, 'filter', 'show', 'dev', 'vb', 'egress').trim(), '');
      assert.match(tc(b, 'filter', 'show', 'dev', 'vb', 'ingress'), /tc_count/, 'the other filter stays');
      inNetns(b.name, () => ing.detach());
      assert.match(tc(b, 'qdisc', 'show', 'dev', 'vb'), /qdisc clsact/, 'a qdisc we did not add stays');
    });
  } finally {
    egress.close();
    count.close();
  }
});

for (const mode of ['tcx', 'netlink'] as const) {
  test(`${mode}: a dropping classifier stops traffic until detached`, { timeout: 120_000 }, async (t) => {
    if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping', 'tc'] })) return;
    const obj = await loadType('tc', { drop: 1 });
    try {
      await withNetnsPair(async (a, b) => {
        pair(a, b);
        assert.ok(ping(a, 1));
        const att = inNetns(b.name, () => attachTc({ fd: obj.program('tc_count').fd, name: 'tc_count' }, 'vb', { mode }));
        try {
          assert.equal(att.mode, mode);
          assert.equal(ping(a, 2), false, 'pings are dropped at vb ingress');
          assert.ok(num(obj, 'packets') >= 2);
        } finally {
          inNetns(b.name, () => att.detach());
        }
        assert.ok(ping(a, 1), 'traffic flows again');
      });
    } finally {
      obj.close();
    }
  });
}

test('tc errors: missing interface, wrong program type (nothing left behind), bad options', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'tc'] })) return;
  const obj = await loadType('tc');
  const tp = await loadType('tracepoint');
  try {
    await withNetnsPair(async (a, b) => {
      pair(a, b);
      inNetns(b.name, () => {
        const prog = { fd: obj.program('tc_count').fd, name: 'tc_count' };
        assert.throws(() => attachTc(prog, 'nosuch0'), (e: unknown) => e instanceof InterfaceError && /interfaces here: lo, vb/.test(e.hint ?? ''));
        assert.throws(() => attachProgram(obj, 'tc_count'), /missing -i IFACE/);
        assert.throws(() => attachTc(prog, 'vb', { direction: 'sideways' as never }), /unknown tc direction 'sideways'/);
        assert.throws(() => attachTc(prog, 'vb', { priority: 0 }), /tc priority 0 is out of range/);
        assert.throws(() => attachTc(prog, 'vb', { mode: 'fast' as never }), /unknown tc mode 'fast'/);
        for (const mode of ['auto', 'netlink'] as const) {
          assert.throws(() => attachTc({ fd: tp.program('tp_getppid').fd, name: 'tp_getppid' }, 'vb', { mode }), (e: unknown) => e instanceof AttachError && /cannot attach tc program 'tp_getppid' to vb ingress/.test(e.message) && /is it a classifier/.test(e.hint ?? ''), mode);
        }
      });
      assert.doesNotMatch(tc(b, 'qdisc', 'show', 'dev', 'vb'), /clsact/, 'the failed attach removed the qdisc it added');
    });
  } finally {
    obj.close();
    tp.close();
  }
});
