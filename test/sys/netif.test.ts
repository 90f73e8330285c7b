/**
 * Interfaces and rtnetlink against the kernel, inside test namespaces entered with inNetns:
 * listing links (kinds, XDP state), name ↔ index with typed errors listing what exists, and the
 * netlink XDP attach/detach path with the kernel's extended-ack messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { need } from '../helpers/env.js';
import { withNetns } from '../helpers/netns.js';
import { progLoad } from '../../src/sys/bpf.js';
import { InterfaceError, ifIndexToName, ifNameToIndex, resolveInterface } from '../../src/sys/netif.js';
import { NetlinkError } from '../../src/sys/netlink.js';
import { currentNetns, inNetns } from '../../src/sys/netns.js';
import { XDP_FLAGS, getLink, listLinks, setLinkXdp } from '../../src/sys/rtnetlink.js';
import { returns } from './bpf-fixtures.js';

test('links of a fresh namespace, veth kinds, names and indexes', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip'] })) return;
  await withNetns((ns) => {
    ns.veth('va', 'vb');
    inNetns(ns.name, () => {
      assert.equal(currentNetns().name, ns.name);
      const links = listLinks();
      assert.deepEqual(links.map((l) => l.name).sort(), ['lo', 'va', 'vb']);
      const va = links.find((l) => l.name === 'va')!;
      assert.equal(va.kind, 'veth');
      assert.equal(va.up, true);
      assert.deepEqual(va.xdp, []);
      assert.equal(ifNameToIndex('lo'), 1);
      assert.equal(ifIndexToName(va.index), 'va');
      assert.deepEqual(resolveInterface(String(va.index)), { index: va.index, name: 'va' });
      assert.equal(getLink(va.index).name, 'va');
      assert.throws(() => getLink(9999), (e: unknown) => e instanceof NetlinkError && e.code === 'ENODEV');
      for (const bad of ['eth9', 'x'.repeat(16), 'a/b', '']) {
        assert.throws(() => ifNameToIndex(bad), (e: unknown) => e instanceof InterfaceError && /interfaces here: lo, vb, va|interfaces here: lo, va, vb/.test(e.hint ?? ''), bad);
      }
      assert.throws(() => ifIndexToName(4242), InterfaceError);
    });
    // Back in our own namespace afterwards.
    assert.equal(currentNetns().inode, statSync('/proc/self/ns/net').ino);
    assert.equal(listLinks().some((l) => l.name === 'va'), false);
  });
});

test('netlink XDP attach and detach, with the kernel explaining refusals', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip'] })) return;
  const a = progLoad({ type: 6, insns: returns(2), license: 'GPL', name: 'nl_a' }).fd;
  const b = progLoad({ type: 6, insns: returns(2), license: 'GPL', name: 'nl_b' }).fd;
  try {
    await withNetns((ns) => {
      inNetns(ns.name, () => {
        setLinkXdp(1, a.value, XDP_FLAGS.SKB_MODE | XDP_FLAGS.UPDATE_IF_NOEXIST);
        const [x] = getLink(1).xdp;
        assert.equal(x?.mode, 'skb');
        assert.ok(x!.progId > 0);
        assert.match(ns.exec('ip', ['link', 'show', 'lo']).stdout, new RegExp(`prog/xdp id ${x!.progId}`));
        assert.throws(
          () => setLinkXdp(1, b.value, XDP_FLAGS.SKB_MODE | XDP_FLAGS.UPDATE_IF_NOEXIST),
          (e: unknown) => e instanceof NetlinkError && e.code === 'EBUSY' && /already attached/i.test(e.extack ?? ''),
        );
        assert.throws(
          () => setLinkXdp(1, b.value, XDP_FLAGS.DRV_MODE),
          (e: unknown) => e instanceof NetlinkError && /Native and generic XDP can't be active at the same time/.test(e.message),
        );
        // Detach only if the attached program is still `b`: it is `a`, so the kernel refuses.
        assert.throws(() => setLinkXdp(1, -1, XDP_FLAGS.SKB_MODE | XDP_FLAGS.REPLACE, b.value), NetlinkError);
        setLinkXdp(1, -1, XDP_FLAGS.SKB_MODE | XDP_FLAGS.REPLACE, a.value);
        assert.deepEqual(getLink(1).xdp, []);
      });
    });
  } finally {
    a.close();
    b.close();
  }
});

test('inNetns: unknown namespace is a clear error and the thread stays where it was', (t) => {
  if (!need(t, { kernel: true })) return;
  const before = currentNetns().inode;
  assert.throws(() => inNetns('tsbpf-no-such-ns', () => 1), /no network namespace 'tsbpf-no-such-ns'/);
  assert.throws(() => inNetns('/proc/self/ns/net', () => { throw new RangeError('inside'); }), RangeError);
  assert.equal(currentNetns().inode, before);
});
