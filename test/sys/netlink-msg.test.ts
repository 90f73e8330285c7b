/** Netlink message encoding/decoding and rtnetlink link decoding, without a kernel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NLA_F_NESTED, NLMSG_ERROR, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP, NLM_F_REQUEST, NlBuilder,
  attrStr, attrU32, attrU8, parseAttrs, parseError, parseMessages,
} from '../../src/sys/netlink-msg.js';
import { decodeLink } from '../../src/sys/rtnetlink.js';

test('builder lays out header, family struct and (nested) attributes with 4-byte alignment', () => {
  const msg = new NlBuilder(19, NLM_F_REQUEST).raw(new Uint8Array(16)).begin(43).s32(1, -1).u32(3, 2).end().str(3, 'lo').finish(7);
  const dv = new DataView(msg.buffer);
  assert.equal(dv.getUint32(0, true), msg.length);
  assert.equal(dv.getUint16(4, true), 19);
  assert.equal(dv.getUint16(6, true), NLM_F_REQUEST);
  assert.equal(dv.getUint32(8, true), 7);
  // nested IFLA_XDP: 4 (header) + 8 (fd) + 8 (flags)
  assert.equal(dv.getUint16(32, true), 20);
  assert.equal(dv.getUint16(34, true), 43 | NLA_F_NESTED);
  assert.equal(msg.length % 4, 0);
  const [m] = parseMessages(msg);
  const attrs = parseAttrs(m!.payload.subarray(16));
  const xdp = parseAttrs(attrs.get(43)!);
  assert.equal(new DataView(xdp.get(1)!.buffer, xdp.get(1)!.byteOffset).getInt32(0, true), -1);
  assert.equal(attrU32(xdp.get(3)), 2);
  assert.equal(attrStr(attrs.get(3)), 'lo');
});

test('parseMessages splits a datagram and stops at a truncated message', () => {
  const a = new NlBuilder(16, NLM_F_DUMP).u8(1, 5).finish(1);
  const b = new NlBuilder(3, 0).finish(1);
  const both = new Uint8Array(a.length + b.length + 6);
  both.set(a);
  both.set(b, a.length);
  both.set([200, 0, 0, 0, 1, 0], a.length + b.length); // a header claiming 200 bytes, cut short
  const msgs = parseMessages(both);
  assert.deepEqual(msgs.map((m) => m.type), [16, 3]);
  assert.equal(attrU8(parseAttrs(msgs[0]!.payload).get(1)), 5);
});

test('parseAttrs ignores a malformed attribute length instead of reading past the end', () => {
  const bad = Uint8Array.from([8, 0, 1, 0, 1, 2, 3, 4, 99, 0, 2, 0]);
  const attrs = parseAttrs(bad);
  assert.equal(attrs.size, 1);
  assert.equal(attrU32(attrs.get(1)), 0x04030201);
  assert.equal(attrU32(Uint8Array.of(1, 2)), undefined);
});

function errorMessage(errno: number, extack?: string, capped = true): Uint8Array {
  const req = new NlBuilder(19, NLM_F_REQUEST).raw(new Uint8Array(16)).finish(9);
  const b = new NlBuilder(NLMSG_ERROR, (capped ? NLM_F_CAPPED : 0) | (extack ? NLM_F_ACK_TLVS : 0));
  const body = new Uint8Array(4);
  new DataView(body.buffer).setInt32(0, -errno, true);
  b.raw(body).raw(capped ? req.subarray(0, 16) : req);
  if (extack) b.str(1, extack);
  return b.finish(9);
}

test('parseError reads errno and the extended-ack message, capped or not', () => {
  for (const capped of [true, false]) {
    const [m] = parseMessages(errorMessage(16, 'XDP program already attached', capped));
    assert.deepEqual(parseError(m!), { errno: 16, message: 'XDP program already attached' });
  }
  const [ack] = parseMessages(errorMessage(0));
  assert.deepEqual(parseError(ack!), { errno: 0 });
});

test('decodeLink reads name, flags, kind and XDP programs in single and multi mode', () => {
  const link = (xdp: (b: NlBuilder) => void) => {
    const ifi = new Uint8Array(16);
    new DataView(ifi.buffer).setInt32(4, 7, true);
    new DataView(ifi.buffer).setUint32(8, 0x1 | 0x40, true);
    const b = new NlBuilder(16, 0).raw(ifi).str(3, 'veth-a').u32(4, 1500).begin(18).str(1, 'veth').end().begin(43);
    xdp(b);
    return parseMessages(b.end().finish(1))[0]!;
  };
  const single = decodeLink(link((b) => b.u8(2, 2).u32(4, 42)));
  assert.deepEqual(single, { index: 7, name: 'veth-a', flags: 0x41, up: true, mtu: 1500, kind: 'veth', xdp: [{ mode: 'skb', progId: 42 }] });
  const multi = decodeLink(link((b) => b.u8(2, 4).u32(5, 10).u32(6, 11)));
  assert.deepEqual(multi?.xdp, [{ mode: 'native', progId: 10 }, { mode: 'skb', progId: 11 }]);
  const none = decodeLink(link((b) => b.u8(2, 0)));
  assert.deepEqual(none?.xdp, []);
  assert.equal(decodeLink({ type: 3, flags: 0, seq: 0, pid: 0, payload: new Uint8Array(0) }), undefined);
});
