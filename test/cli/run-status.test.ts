/**
 * `tsbpf status` shows what `tsbpf run` attached beyond XDP: the tc filter of a classifier on a
 * veth (this namespace's interfaces), a tracepoint's perf-event link, a cgroup link with the
 * cgroup's path; the same in --json; and the layout of the new sections on their own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need } from '../helpers/env.js';
import { withNetns } from '../helpers/netns.js';
import { formatAttachments } from '../../src/cli/commands/status.js';
import { cgroup2Root, typeObject, withCgroup } from '../attach/helpers.js';
import { CliProcess, runCli } from './run-process.js';

test('tcx, tc and link sections layout', () => {
  const text = formatAttachments({
    tcxAvailable: true,
    tcx: [
      { ifname: 'vb', ifindex: 3, direction: 'ingress', position: 1, progId: 44, progName: 'tc_first', linkId: 9, revision: 3 },
      { ifname: 'vb', ifindex: 3, direction: 'ingress', position: 2, progId: 45, progName: 'tc_second', revision: 3 },
    ],
    tc: [{ ifname: 'vb', ifindex: 3, direction: 'ingress', prio: 49152, handle: 1, kind: 'bpf', progId: 42, progName: 'tc_count', directAction: true }],
    links: [
      { id: 7, progId: 40, type: 'perf_event', target: '', progName: 'tp_getppid', progType: 'tracepoint' },
      { id: 8, progId: 41, type: 'cgroup', attachType: 'cgroup_inet_egress', cgroupId: 1234n, target: '/sys/fs/cgroup/unified/x', progName: 'cg_egress', progType: 'cgroup_skb' },
    ],
  });
  assert.equal(text, [
    'tcx programs (tc hooks, bpf_link) in this network namespace:',
    '',
    'Interface  Hook     Order  Prog ID  Name       Link ID',
    'vb         ingress  1      44       tc_first   9',
    'vb         ingress  2      45       tc_second  - (prog attach)',
    '',
    'tc filters (clsact hooks) in this network namespace:',
    '',
    'Interface  Hook     Pref   Handle  Kind  Prog ID  Name      Mode',
    'vb         ingress  49152  0x1     bpf   42       tc_count  direct-action',
    '',
    'BPF links (all namespaces):',
    '',
    'Link ID  Type        Attach type         Prog ID  Name        Prog type   Target',
    '7        perf_event  -                   40       tp_getppid  tracepoint  -',
    '8        cgroup      cgroup_inet_egress  41       cg_egress   cgroup_skb  /sys/fs/cgroup/unified/x',
    '',
  ].join('\n'));
  assert.match(formatAttachments({ tcxAvailable: true, tcx: [], tc: [], links: [] }), /\(no tcx programs\)[\s\S]*\(no tc filters\)[\s\S]*\(no BPF links\)/);
  assert.match(formatAttachments({ tcxAvailable: false, tcx: [], tc: [], links: [] }), /\(this kernel has no tcx: Linux 6\.6\+\)/);
});

test('status lists a running classifier\'s filter, a tracepoint link and a cgroup link', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip'] })) return;
  const root = cgroup2Root();
  if (!root) return t.skip('no cgroup v2 mount');
  await withCgroup(async (cg) => {
    await withNetns(async (ns) => {
      ns.veth('va', 'vb');
      const runs = [
        new CliProcess(ns.prefix(), ['run', typeObject('tc'), '-i', 'vb', '-m', 'netlink', '-v']), // a clsact filter (tcx: status.test.ts)
        new CliProcess([], ['run', typeObject('tracepoint'), '-v']),
        new CliProcess([], ['run', typeObject('cgroup_skb'), '-p', 'cg_ingress', '--cgroup', cg, '-v']),
      ];
      try {
        for (const r of runs) await r.waitFor(/Waiting for Ctrl-C/);
        const ids = runs.map((r) => Number(/prog id (\d+)/.exec(r.stderr)![1]));
        const st = runCli(ns.prefix(), ['status']);
        assert.equal(st.status, 0, st.stderr);
        assert.match(st.stdout, new RegExp(`^vb +ingress +\\d+ +0x[0-9a-f]+ +bpf +${ids[0]} +tc_count +direct-action$`, 'm'));
        assert.match(st.stdout, new RegExp(`^\\d+ +perf_event +- +${ids[1]} +tp_getppid +tracepoint +-$`, 'm'));
        // `ip netns exec` mounts a fresh /sys, hiding the cgroup v2 mount: there the cgroup shows by id.
        assert.match(st.stdout, new RegExp(`^\\d+ +cgroup +cgroup_inet_ingress +${ids[2]} +cg_ingress +cgroup_skb +cgroup id \\d+$`, 'm'));
        const host = runCli([], ['status']);
        assert.match(host.stdout, new RegExp(`^\\d+ +cgroup +cgroup_inet_ingress +${ids[2]} +cg_ingress +cgroup_skb +${cg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
        const json = JSON.parse(runCli(ns.prefix(), ['status', '--json']).stdout);
        assert.equal(json.tc.length, 1);
        assert.equal(json.tc[0].progName, 'tc_count');
        const cgLink = json.links.find((l: { progId: number }) => l.progId === ids[2]);
        assert.equal(typeof cgLink.cgroupId, 'string', 'a 64-bit id as a decimal string');
        for (const r of runs) assert.equal((await r.stop('SIGINT')).code, 0, r.stderr);
        const after = JSON.parse(runCli(ns.prefix(), ['status', '--json']).stdout);
        assert.deepEqual(after.tc, []);
        assert.ok(!after.links.some((l: { progId: number }) => ids.includes(l.progId)));
      } finally {
        for (const r of runs) r.kill();
      }
    });
  });
});
