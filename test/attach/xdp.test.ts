/**
 * XDP attach through bpf_links (and the netlink path), in test namespaces: modes (auto falls back
 * from native to skb on lo with a notice; veth runs native), refusing an interface that already
 * has a program (naming it) unless forced, detaching, and the status view agreeing with bpftool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { withNetns } from '../helpers/netns.js';
import { loadObject } from '../../src/loader/index.js';
import { XdpAttachError, XdpBusyError, attachXdp, detachAllXdp } from '../../src/attach/xdp.js';
import { xdpOn, xdpStatus } from '../../src/attach/xdp-status.js';
import { InterfaceError } from '../../src/sys/netif.js';
import { inNetns } from '../../src/sys/netns.js';

async function hello() {
  const obj = await loadObject(corpusObject('hello'));
  return { obj, prog: { fd: obj.program('hello_world').fd, name: 'hello_world' } };
}

test('auto mode: native on veth, skb with a notice on lo; detach removes it', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip'] })) return;
  const { obj, prog } = await hello();
  try {
    await withNetns((ns) => {
      ns.veth('va', 'vb');
      inNetns(ns.name, () => {
        const notices: string[] = [];
        const lo = attachXdp(prog, 'lo', { onNotice: (m) => notices.push(m) });
        assert.equal(lo.mode, 'skb');
        assert.equal(lo.method, 'link');
        assert.match(notices.join('\n'), /native mode failed on 'lo'.*attached in skb \(generic\) mode instead/);
        const va = attachXdp(prog, 'va', { onNotice: (m) => notices.push(m) });
        assert.equal(va.mode, 'native');
        assert.equal(notices.length, 1, 'no notice when native works');
        const status = xdpOn(va.ifindex);
        assert.equal(status.length, 1);
        assert.equal(status[0]!.progName, 'hello_world');
        assert.equal(status[0]!.progId, va.progId);
        assert.ok(status[0]!.linkId !== undefined, 'held by a bpf_link');
        lo.detach();
        va.detach();
        va.detach(); // idempotent
        assert.deepEqual(xdpOn(lo.ifindex), []);
        assert.deepEqual(xdpOn(va.ifindex), []);
      });
    });
  } finally {
    obj.close();
  }
});

test('explicit modes and their errors', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip'] })) return;
  const { obj, prog } = await hello();
  try {
    await withNetns((ns) => {
      inNetns(ns.name, () => {
        assert.throws(() => attachXdp(prog, 'lo', { mode: 'native' }), (e: unknown) => e instanceof XdpAttachError && /'lo' in native mode/.test(e.message) && /-m skb/.test(e.hint ?? ''));
        assert.throws(() => attachXdp(prog, 'lo', { mode: 'hw' }), (e: unknown) => e instanceof XdpAttachError && /hw mode/.test(e.message));
        assert.throws(() => attachXdp(prog, 'nosuch0'), InterfaceError);
        assert.throws(() => attachXdp(prog, 'lo', { mode: 'turbo' as never }), /unknown XDP mode 'turbo'/);
        const skb = attachXdp(prog, 'lo', { mode: 'skb' });
        assert.equal(skb.mode, 'skb');
        skb.detach();
        assert.deepEqual(xdpOn(1), []);
      });
    });
  } finally {
    obj.close();
  }
});

test('an attached program is refused unless forced; netlink attachments too', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip'] })) return;
  const a = await hello();
  const b = await hello();
  try {
    await withNetns((ns) => {
      ns.veth('va', 'vb');
      inNetns(ns.name, () => {
        const first = attachXdp(a.prog, 'va');
        assert.throws(() => attachXdp(b.prog, 'va'), (e: unknown) =>
          e instanceof XdpBusyError && e.message === `interface 'va' already has XDP program 'hello_world' (prog id ${first.progId}, native mode, link id ${e.existing[0]!.linkId})` && /--force/.test(e.hint ?? ''));
        const notices: string[] = [];
        const second = attachXdp(b.prog, 'va', { force: true, onNotice: (m) => notices.push(m) });
        assert.match(notices[0]!, new RegExp(`replaced XDP program 'hello_world' \\(prog id ${first.progId}`));
        assert.equal(xdpOn(second.ifindex)[0]!.progId, second.progId);
        first.detach(); // its link was detached by force: nothing happens to the new one
        assert.equal(xdpOn(second.ifindex)[0]!.progId, second.progId);
        second.detach();

        // Through netlink (as on kernels without XDP links): same refusal, detach by fd.
        const nl = attachXdp(a.prog, 'va', { method: 'netlink', mode: 'skb' });
        assert.equal(nl.method, 'netlink');
        assert.equal(nl.link, undefined);
        assert.throws(() => attachXdp(b.prog, 'va'), (e: unknown) => e instanceof XdpBusyError && /attached via netlink/.test(e.message) && /ip link set dev va xdp off/.test(e.hint ?? ''));
        nl.detach();
        assert.deepEqual(xdpOn(nl.ifindex), []);
        attachXdp(a.prog, 'va', { method: 'netlink', mode: 'skb' });
        assert.equal(detachAllXdp('va').length, 1);
        assert.deepEqual(xdpOn(nl.ifindex), []);
      });
    });
  } finally {
    a.obj.close();
    b.obj.close();
  }
});

test('status agrees with bpftool net', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'bpftool'] })) return;
  const { obj, prog } = await hello();
  try {
    await withNetns((ns) => {
      ns.veth('va', 'vb');
      ns.exec('ip', ['link', 'set', 'dev', 'vb', 'xdpgeneric', 'obj', corpusObject('hello'), 'sec', 'xdp']);
      inNetns(ns.name, () => {
        const att = attachXdp(prog, 'va');
        try {
          const ours = xdpStatus().flatMap((s) => s.xdp).map((x) => [x.ifname, x.mode, x.progId]).sort();
          const net = JSON.parse(spawnSync('ip', ['netns', 'exec', ns.name, 'bpftool', 'net', 'show', '-j'], { encoding: 'utf8' }).stdout);
          const modeName: Record<string, string> = { driver: 'native', generic: 'skb', offload: 'hw' };
          const theirs = (net[0].xdp as { devname: string; mode: string; id: number }[]).map((x) => [x.devname, modeName[x.mode], x.id]).sort();
          assert.deepEqual(ours, theirs);
          assert.equal(ours.length, 2);
        } finally {
          att.detach();
        }
      });
    });
  } finally {
    obj.close();
  }
});
