/**
 * tc classifiers attached through tcx (bpf_links on an interface's hook, Linux 6.6+) on a veth
 * pair between two test namespaces: the default mode counts pings without a qdisc or filter,
 * shows in the hook query, `tsbpf status`'s view and `bpftool link`; order (first, before/after a
 * program or link), revisions and the errors for programs already there; tcx next to clsact
 * filters (who runs first, and the notices); a pinned link outliving its fd; the netlink
 * fallback when a kernel has no tcx (simulated: this one has it); and `tsbpf run` killed with
 * SIGKILL leaving nothing attached, where `-m netlink` leaves its filter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { need } from '../helpers/env.js';
import { unique, withNetnsPair, type Netns } from '../helpers/netns.js';
import { buildSource } from '../compiler/helpers.js';
import { CliProcess, runCli } from '../cli/run-process.js';
import { attachProgram } from '../../src/attach/auto.js';
import { planAttach } from '../../src/attach/plan.js';
import { sectionProgramType } from '../../src/object/section-types.js';
import { AttachError, type ProgramRef } from '../../src/attach/common.js';
import { linkStatus, tcxStatus } from '../../src/attach/status.js';
import { TcAttachment, attachTc, tcAutoAttach } from '../../src/attach/tc.js';
import { TcxAttachment, TcxUnsupportedError, tcxQuery } from '../../src/attach/tcx.js';
import { loadObject, type LoadedObject } from '../../src/loader/index.js';
import { linkInfo, objGet, objPin } from '../../src/sys/bpf.js';
import { ensureBpffs } from '../../src/sys/mount.js';
import { ifNameToIndex } from '../../src/sys/netif.js';
import { inNetns } from '../../src/sys/netns.js';
import { corpusObject } from '../helpers/corpus.js';
import { eventually, loadType, num, typeObject } from './helpers.js';

function pair(a: Netns, b: Netns): void {
  a.veth('va', 'vb', b);
  a.exec('ip', ['addr', 'add', '10.81.0.1/24', 'dev', 'va']);
  b.exec('ip', ['addr', 'add', '10.81.0.2/24', 'dev', 'vb']);
}

function ping(a: Netns, count = 3, size = 56): boolean {
  return a.exec('ping', ['-c', String(count), '-i', '0.2', '-W', '1', '-s', String(size), '10.81.0.2'], { allowFail: true }).status === 0;
}

const tc = (ns: Netns, ...args: string[]): string => ns.exec('tc', args).stdout;
const progOf = (obj: LoadedObject, name = 'tc_count'): ProgramRef => ({ fd: obj.program(name).fd, name });
/** Program ids on vb's hook in run order (call inside the namespace). */
const hookIds = (direction: 'ingress' | 'egress' = 'ingress'): number[] => (tcxQuery(ifNameToIndex('vb'), direction)?.progs ?? []).map((p) => p.progId);

/** A classifier that counts and hands every packet on (TCX_NEXT = TC_ACT_UNSPEC, -1), built by tsbpf. */
const NEXT_SOURCE = `import { tc, TcAction, type u64 } from "tsbpf/kernel";
let seen: u64 = 0;
export const tc_next = tc((skb) => {
  seen += 1;
  return TcAction.UNSPEC;
});
`;

test('tcx is the default: pings counted with no qdisc or filter; hook query, status and bpftool link show the link', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping', 'tc', 'bpftool'] })) return;
  const obj = await loadType('tc');
  try {
    await withNetnsPair(async (a, b) => {
      pair(a, b);
      const notes: string[] = [];
      const att = inNetns(b.name, () => attachProgram(obj, 'tc_count', { iface: 'vb', onNotice: (m) => notes.push(m) }));
      let linkId = 0;
      try {
        assert.ok(att instanceof TcxAttachment, att.description);
        linkId = att.linkId;
        assert.equal(att.mode, 'tcx');
        assert.equal(att.diesWithProcess, true);
        assert.match(att.description, /^tc ingress on vb \(tcx link id \d+\)$/);
        assert.deepEqual(notes, []);
        assert.doesNotMatch(tc(b, 'qdisc', 'show', 'dev', 'vb'), /clsact/, 'tcx needs no qdisc');
        assert.equal(tc(b, 'filter', 'show', 'dev', 'vb', 'ingress').trim(), '');
        const q = inNetns(b.name, () => tcxQuery(att.ifindex, 'ingress'));
        assert.deepEqual(q?.progs.map((p) => [p.progId, p.linkId]), [[att.progId, att.linkId]]);
        assert.equal(att.progId, obj.program('tc_count').id);
        assert.deepEqual(linkInfo(att.link).id, att.linkId);

        const st = inNetns(b.name, () => tcxStatus());
        assert.deepEqual(st?.map((s) => [s.ifname, s.direction, s.position, s.progId, s.progName, s.linkId]), [['vb', 'ingress', 1, att.progId, 'tc_count', att.linkId]]);
        const link = linkStatus().find((l) => l.id === att.linkId);
        assert.deepEqual(link && [link.type, link.attachType, link.progId, link.target], ['tcx', 'tcx_ingress', att.progId, `ifindex ${att.ifindex}`]);

        // bpftool 7.1 (libbpf 1.1) prints the link with its type number; newer ones say "tcx".
        const links = JSON.parse(spawnSync('bpftool', ['link', 'show', '-j'], { encoding: 'utf8' }).stdout) as { id: number; type: string | number; prog_id: number }[];
        const shown = links.find((l) => l.id === att.linkId);
        assert.ok(shown, 'bpftool link show lists the link');
        assert.equal(shown.prog_id, att.progId);
        assert.ok(shown.type === 'tcx' || shown.type === 11, `bpftool link type ${shown.type}`);
        const net = JSON.parse(b.exec('bpftool', ['net', 'show', '-j']).stdout) as Record<string, { id: number }[]>[];
        if (net[0]!.tcx) assert.ok(net[0]!.tcx.some((x) => x.id === att.progId), 'bpftool net lists the tcx program');
        else t.diagnostic(`this bpftool's \`net show\` has no tcx section (${Object.keys(net[0]!).join(', ')}); tsbpf status lists tcx programs`);

        assert.ok(ping(a, 3));
        assert.ok(num(obj, 'packets') >= 3, `echo requests counted (${num(obj, 'packets')})`);
      } finally {
        inNetns(b.name, () => att.detach());
      }
      assert.deepEqual(inNetns(b.name, () => hookIds()), [], 'detached');
      assert.ok(!linkStatus().some((l) => l.id === linkId), 'the link is gone');
      const before = num(obj, 'packets');
      assert.ok(ping(a, 2));
      assert.equal(num(obj, 'packets'), before, 'nothing counted after detach');
    });
  } finally {
    obj.close();
  }
});

test('tcx order and revisions; clear errors for a program already there, stale revisions, missing relatives, mixed options', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip'] })) return;
  const objs = await Promise.all([1, 2, 3].map(() => loadType('tc')));
  const atts: (TcxAttachment | TcAttachment)[] = [];
  try {
    await withNetnsPair(async (a, b) => {
      pair(a, b);
      inNetns(b.name, () => {
        const [p1, p2, p3] = objs.map((o) => progOf(o));
        const [id1, id2, id3] = objs.map((o) => o.program('tc_count').id);
        const tcx = (x: TcxAttachment | TcAttachment): TcxAttachment => {
          assert.ok(x instanceof TcxAttachment);
          atts.push(x);
          return x;
        };
        const x1 = tcx(attachTc(p1!, 'vb'));
        const x2 = tcx(attachTc(p2!, 'vb', { order: 'first' }));
        assert.deepEqual(hookIds(), [id2, id1]);
        const x3 = tcx(attachTc(p3!, 'vb', { order: { after: { linkId: x2.linkId } } }));
        assert.deepEqual(hookIds(), [id2, id3, id1]);
        x3.detach();
        tcx(attachTc(p3!, 'vb', { order: { before: { prog: p1!.fd } } }));
        assert.deepEqual(hookIds(), [id2, id3, id1]);
        const egress = tcx(attachTc(p3!, 'vb', { direction: 'egress', order: 'last' }));
        assert.deepEqual(hookIds('egress'), [id3], 'the egress hook is separate');
        egress.detach();

        assert.throws(() => attachTc(p1!, 'vb'), (e: unknown) => e instanceof AttachError
          && new RegExp(`^cannot attach tc program 'tc_count' to vb ingress via tcx: program id ${id1} is already attached there \\(tcx link id ${x1.linkId}\\)$`).test(e.message));
        const rev = tcxQuery(x1.ifindex, 'ingress')!.revision;
        x2.detach();
        const now = tcxQuery(x1.ifindex, 'ingress')!.revision;
        assert.ok(now > rev, 'a detach bumps the revision');
        assert.throws(() => attachTc(p2!, 'vb', { expectedRevision: rev }), (e: unknown) => e instanceof AttachError
          && e.message.endsWith(`the hook changed: its revision is ${now}, not the expected ${rev}`));
        assert.throws(() => attachTc(p2!, 'vb', { order: { before: { progId: 0x7ffffff0 } } }), /program id 2147483632 is not attached there/);
        assert.throws(() => attachTc(p2!, 'vb', { order: { after: { linkId: x2.linkId } } }), new RegExp(`link id ${x2.linkId} is not attached there`));
        tcx(attachTc(p2!, 'vb', { expectedRevision: now, order: 'first' }));
        assert.deepEqual(hookIds(), [id2, id3, id1]);

        assert.throws(() => attachTc(p2!, 'vb', { mode: 'tcx', priority: 3 }), /priority and handle are settings of netlink \(clsact\) filters/);
        assert.throws(() => attachTc(p2!, 'vb', { priority: 3, order: 'first' }), /priority and handle are settings of netlink/);
        assert.throws(() => attachTc(p2!, 'vb', { mode: 'netlink', order: 'first' }), /order and expectedRevision are settings of tcx links/);
        assert.throws(() => attachTc(p2!, 'vb', { order: 'middle' as never }), /unknown tcx order "middle"/);
      });
    });
  } finally {
    for (const x of atts) x.detach();
    for (const o of objs) o.close();
  }
});

test('tcx next to a clsact filter: tcx runs first, the filter sees what TCX_NEXT passes on; notices both ways', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping', 'tc'] })) return;
  const next = await loadObject(buildSource(NEXT_SOURCE, 'tc-next.bpf.ts').object, { name: 'tcx_next' });
  const filter = await loadType('tc');
  const pass = await loadType('tc');
  const atts: (TcxAttachment | TcAttachment)[] = [];
  try {
    await withNetnsPair(async (a, b) => {
      pair(a, b);
      const notes: string[] = [];
      const onNotice = (m: string): void => void notes.push(m);
      const nx = inNetns(b.name, () => attachTc(progOf(next, 'tc_next'), 'vb', { onNotice }));
      atts.push(nx);
      assert.equal(nx.mode, 'tcx');
      assert.deepEqual(notes, [], 'nothing else on the hook yet');
      const nl = inNetns(b.name, () => attachTc(progOf(filter), 'vb', { mode: 'netlink', onNotice }));
      atts.push(nl);
      assert.equal(notes.length, 1);
      assert.match(notes[0]!, new RegExp(`^vb ingress also has 1 tcx program \\(prog id ${nx.progId} link id \\d+\\): they run first, and this filter sees only the packets they pass on with TCX_NEXT \\(-1\\)$`));
      assert.ok(ping(a, 3));
      // Every packet meets the tcx program before the filter, and other traffic (ARP, IPv6
      // neighbour discovery) may arrive between the reads: the filter is read first.
      const filteredNow = num(filter, 'packets');
      const seen = num(next, 'seen');
      assert.ok(filteredNow >= 3 && filteredNow <= seen, `the filter saw the packets the tcx program passed on (${filteredNow} of ${seen})`);

      const ok = inNetns(b.name, () => attachTc(progOf(pass), 'vb', { onNotice }));
      atts.push(ok);
      const filtered = num(filter, 'packets');
      assert.ok(ping(a, 2));
      assert.ok(num(pass, 'packets') >= 2, 'the second tcx program ran');
      assert.equal(num(filter, 'packets'), filtered, 'TC_ACT_OK from a tcx program ends the hook: the filter sees nothing');

      assert.equal(notes.length, 2);
      assert.match(notes[1]!, /^vb ingress also has 1 clsact filter \(tc_count:\[\d+\] prio \d+\): tcx programs run first, and the filters see only the packets they pass on with TCX_NEXT \(-1\)$/);
      const nl2 = inNetns(b.name, () => attachTc(progOf(pass), 'vb', { mode: 'netlink', direction: 'ingress', onNotice }));
      atts.push(nl2);
      assert.match(notes[2]!, /^vb ingress also has 2 tcx programs \(prog id \d+ link id \d+, prog id \d+ link id \d+\): they run first, and this filter sees only the packets they pass on with TCX_NEXT \(-1\)$/);
    });
  } finally {
    for (const x of atts.reverse()) x.detach();
    for (const o of [next, filter, pass]) o.close();
  }
});

test('a pinned tcx link stays attached after its fd closes; removing the pin releases it', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping'] })) return;
  ensureBpffs();
  const obj = await loadType('tc');
  const path = `/sys/fs/bpf/${unique('tsbpf-tcx')}`;
  try {
    await withNetnsPair(async (a, b) => {
      pair(a, b);
      const att = inNetns(b.name, () => attachTc(progOf(obj), 'vb'));
      assert.ok(att instanceof TcxAttachment);
      objPin(att.link, path);
      att.link.close();
      att.detach(); // our fd is closed: nothing to do, the pin holds the link
      assert.deepEqual(inNetns(b.name, () => hookIds()), [att.progId], 'still attached through the pin');
      const before = num(obj, 'packets');
      assert.ok(ping(a, 2));
      assert.ok(num(obj, 'packets') >= before + 2, 'and still running');
      const again = objGet(path);
      try {
        assert.equal(linkInfo(again).id, att.linkId);
      } finally {
        again.close();
      }
      rmSync(path);
      assert.ok(await eventually(() => inNetns(b.name, () => hookIds()).length === 0), 'released once the pin is gone');
    });
  } finally {
    rmSync(path, { force: true });
    obj.close();
  }
});

test('auto mode falls back to a netlink filter with a notice when the kernel has no tcx (simulated); mode tcx does not', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'tc'] })) return;
  const obj = await loadType('tc');
  try {
    await withNetnsPair(async (a, b) => {
      pair(a, b);
      const noTcx = (): never => {
        // What attachTcx throws where BPF_LINK_CREATE and the hook query both answer EINVAL (Linux < 6.6).
        throw new TcxUnsupportedError("cannot attach tc program 'tc_count' to vb ingress via tcx: this kernel has no tcx (Linux 6.6+ with CONFIG_NET_XGRESS): bpf(BPF_LINK_CREATE) for link to ifindex 2 failed: EINVAL (invalid argument)", undefined, 22);
      };
      const notes: string[] = [];
      const att = inNetns(b.name, () => tcAutoAttach(noTcx, () => attachTc(progOf(obj), 'vb', { mode: 'netlink' }) as TcAttachment, (m) => notes.push(m)));
      try {
        assert.ok(att instanceof TcAttachment);
        assert.deepEqual(notes, [`this kernel has no tcx (Linux 6.6+ with CONFIG_NET_XGRESS): bpf(BPF_LINK_CREATE) for link to ifindex 2 failed: EINVAL (invalid argument); attached as a clsact filter via netlink instead: ${att.description} (left attached if this process is killed)`]);
        assert.match(tc(b, 'filter', 'show', 'dev', 'vb', 'ingress'), /tc_count:\[\d+\] direct-action/);
      } finally {
        inNetns(b.name, () => att.detach());
      }
      assert.throws(() => tcAutoAttach(noTcx, undefined, () => {}), TcxUnsupportedError);
      // This kernel has tcx: a wrong program is an error of its own, not a reason to fall back.
      const tp = await loadType('tracepoint');
      try {
        assert.throws(() => inNetns(b.name, () => attachTc({ fd: tp.program('tp_getppid').fd, name: 'tp_getppid' }, 'vb', { mode: 'tcx' })),
          (e: unknown) => e instanceof AttachError && !(e instanceof TcxUnsupportedError) && /via tcx: bpf\(BPF_LINK_CREATE\).*EINVAL/.test(e.message) && /is it a classifier/.test(e.hint ?? ''));
      } finally {
        tp.close();
      }
    });
  } finally {
    obj.close();
  }
});

test('tsbpf run: a tcx link dies with a SIGKILLed process; -m netlink leaves its filter behind; -m must fit the programs', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping', 'tc'] })) return;
  const obj = typeObject('tc');
  await withNetnsPair(async (a, b) => {
    pair(a, b);
    const ifindex = inNetns(b.name, () => ifNameToIndex('vb'));
    const run = new CliProcess(b.prefix(), ['run', obj, '-i', 'vb', '-v']);
    try {
      await run.waitFor(/Waiting for Ctrl-C/);
      const m = /attached 'tc_count' \(prog id (\d+)\): tc ingress on vb \(tcx link id (\d+)\)\n/.exec(run.stderr);
      assert.ok(m, run.stderr);
      const [progId, linkId] = [Number(m[1]), Number(m[2])];
      assert.deepEqual(inNetns(b.name, () => tcxQuery(ifindex, 'ingress'))?.progs.map((p) => [p.progId, p.linkId]), [[progId, linkId]]);
      const size = 200 + (process.pid % 300); // a length no other test's ping uses at the same time
      assert.ok(ping(a, 2, size));
      await run.waitFor(new RegExp(`tsbpf tc len=${size + 42}$`, 'm'));
      run.child.kill('SIGKILL');
      await run.exited;
      // The kernel releases the link when the dead process's files are closed: poll briefly.
      assert.ok(await eventually(() => inNetns(b.name, () => tcxQuery(ifindex, 'ingress'))?.progs.length === 0, 5000), 'nothing left on the hook');
      assert.ok(await eventually(() => !linkStatus().some((l) => l.id === linkId), 5000), 'the link is gone');
      assert.doesNotMatch(tc(b, 'qdisc', 'show', 'dev', 'vb'), /clsact/);
    } finally {
      run.kill();
    }

    const nl = new CliProcess(b.prefix(), ['run', obj, '-i', 'vb', '-m', 'netlink', '-v']);
    try {
      await nl.waitFor(/Waiting for Ctrl-C/);
      assert.match(nl.stderr, /attached 'tc_count' \(prog id \d+\): tc ingress on vb \(clsact, bpf direct-action filter prio \d+ handle 0x[0-9a-f]+\) \(removed on exit, but left attached if this process is killed\)/);
      nl.child.kill('SIGKILL');
      await nl.exited;
      assert.match(tc(b, 'filter', 'show', 'dev', 'vb', 'ingress'), /tc_count/, 'a netlink filter outlives its process (why tcx is the default)');
    } finally {
      nl.kill();
      b.exec('tc', ['qdisc', 'del', 'dev', 'vb', 'clsact'], { allowFail: true });
    }

    const wrong = runCli(b.prefix(), ['run', obj, '-i', 'vb', '-m', 'native']);
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /^tsbpf run: error: -m native is an XDP mode; tc programs take auto, tcx, netlink\n$/);
    const notTc = runCli(b.prefix(), ['run', corpusObject('hello'), '-i', 'vb', '-m', 'tcx']);
    assert.equal(notTc.status, 1);
    assert.match(notTc.stderr, /^tsbpf run: error: -m tcx is a tc mode, but no tc program is run\n  hint: XDP modes: auto, native, skb, hw\n$/);
  });
});

test('plans: tc sections and modes', () => {
  const st = sectionProgramType('tcx/egress');
  assert.equal(st?.attachTypeName, 'BPF_TCX_EGRESS');
  assert.equal(sectionProgramType('tc/ingress')?.attachTypeName, 'BPF_TCX_INGRESS');
  const p = { name: 'x', section: 'tcx/egress', type: st };
  assert.throws(() => planAttach(p, { iface: 'lo', tcMode: 'fast' as never }), /unknown tc mode 'fast'/);
  assert.throws(() => planAttach(p, { iface: 'lo', direction: 'ingress' }), /is for tc egress \(section 'tcx\/egress'\), not ingress/);
  assert.equal(planAttach(p, { iface: 'lo', tcMode: 'netlink' }).label, 'tc egress on lo');
});
