/**
 * Row 5 (issue 3): load + verify of the packet-parsing object (udp-drop), tsbpf's loader
 * in-process vs `bpftool prog load` as a whole process (and tsbpf as a whole process too, for
 * honesty); XDP attach + detach round trips in a network namespace the bench creates, on a veth:
 * tsbpf's attach API in-process vs `ip link set dev … xdp pinned|obj …` + `ip link set dev … xdp off`.
 * The ip commands are started from a thread already inside the namespace (so they pay neither
 * `ip -n`'s mount-namespace setup nor nsenter). Everything made here is removed afterwards.
 */
import { lstatSync, readFileSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { attachXdp } from '../../src/attach/xdp.js';
import { loadObject, loadObjectSync } from '../../src/loader/index.js';
import { inNetns } from '../../src/sys/netns.js';
import { type BenchContext, type Row, nowNs, median, reasonOf, requireKernel, requireTools, row, timeIt, timeProcess, unavailable } from '../harness.js';
import { benchC, clangBuild, tsbpfBuild } from '../lib/build.js';
import { netns, pinDir } from '../lib/sandbox.js';

export const LOAD_GROUP = '5. Load + verify, attach + detach';
const LOAD_GOAL = { text: '≤ 1.5× (issue 3)', max: 1.5 };

export async function loadAttachRows(ctx: BenchContext): Promise<Row[]> {
  const inRuns = ctx.quick ? 10 : 40;
  const procRuns = ctx.quick ? 5 : 20;
  const rows: Row[] = [];
  const bpftool = { group: LOAD_GROUP, unit: 's', anchorName: '`bpftool prog load` (whole process)', better: 'lower' as const };
  let dir: string | undefined;
  let clangObj: string | undefined;
  let why: string | undefined;
  try {
    requireKernel();
    clangObj = clangBuild(ctx, benchC(ctx, 'udp-drop.bpf.c'));
    dir = pinDir(ctx);
  } catch (e) {
    why = reasonOf(e);
  }

  // Load + verify: the clang object, then tsbpf's own build of examples/udp-drop.bpf.ts.
  const objects: { label: string; path: () => Promise<string> }[] = [
    { label: 'udp-drop, clang-built object', path: async () => clangObj! },
    { label: 'udp-drop, tsbpf-built object (examples/udp-drop.bpf.ts)', path: async () => (await tsbpfBuild(ctx, join(ctx.repoRoot, 'examples', 'udp-drop.bpf.ts'))).path },
  ];
  for (const o of objects) {
    const r = { ...bpftool, name: `load + verify ${o.label}, tsbpf in-process`, goal: LOAD_GOAL };
    const whole = { ...bpftool, name: `load + verify ${o.label}, tsbpf whole process (node)` };
    if (why) {
      rows.push(unavailable(r, why), unavailable(whole, why));
      continue;
    }
    try {
      const path = await o.path();
      const bytes = readFileSync(path);
      const ours = await timeIt(async () => (await loadObject(bytes, { name: 'udp_drop' })).close(), inRuns, 2);
      let anchor: number | null = null;
      let anchorWhy = '';
      try {
        requireTools(['bpftool']);
        const pin = join(dir!, 'udp_drop');
        anchor = timeProcess('bpftool', ['prog', 'load', path, pin], procRuns, () => rmSync(pin, { force: true }));
      } catch (e) {
        anchorWhy = reasonOf(e);
      }
      const loadScript = join(ctx.repoRoot, 'dist', 'bench', 'proc', 'load-once.js');
      const oursWhole = timeProcess(process.execPath, [loadScript, path], procRuns);
      const note = `median of ${inRuns} loads (after 2 warm-up loads) vs ${procRuns} bpftool runs; bpftool also pins (removed between runs)`;
      if (anchor === null) rows.push(unavailable({ ...r, ours }, anchorWhy), unavailable({ ...whole, ours: oursWhole }, anchorWhy));
      else {
        rows.push(row({ ...r, ours, anchor, note }));
        rows.push(row({ ...whole, ours: oursWhole, anchor, note: `node start-up + koffi + load; median of ${procRuns}` }));
      }
    } catch (e) {
      rows.push(unavailable(r, reasonOf(e)), unavailable(whole, reasonOf(e)));
    }
  }

  // Attach + detach on a veth in a namespace of our own.
  const rt = { group: LOAD_GROUP, unit: 's', better: 'lower' as const };
  const attachRow = { ...rt, name: 'XDP attach + detach of a loaded program (veth, native mode)', anchorName: '`ip link set dev … xdp pinned …` + `… xdp off`' };
  const fullRow = { ...rt, name: 'load + attach + detach udp-drop (clang-built object)', anchorName: '`ip link set dev … xdp obj … sec xdp` + `… xdp off`' };
  try {
    if (why) throw new Error(why);
    requireTools(['ip']);
    const ns = netns(ctx);
    const [ifname] = ns.veth;
    const obj = loadObjectSync(clangObj!, { name: 'udp_drop' });
    ctx.defer(() => obj.close());
    const prog = obj.program('udp_drop');
    const pin = join(dir!, 'udp_drop_prog');
    prog.pin(pin);
    ctx.defer(() => rmSync(pin, { force: true }));
    forgetIprouteDirs(ctx);
    const modes = new Set<string>();
    const ours = median(inNetns(ns.name, () => {
      const xs: number[] = [];
      for (let i = 0; i < inRuns + 2; i++) {
        const t0 = nowNs();
        const a = attachXdp({ fd: prog.fd, name: prog.name }, ifname);
        a.detach();
        if (i >= 2) xs.push(Number(nowNs() - t0) / 1e9);
        modes.add(a.mode);
      }
      return xs;
    }));
    const ipPair = (attach: string[]): number => inNetns(ns.name, () => {
      const xs: number[] = [];
      for (let i = 0; i < procRuns; i++) {
        const t0 = nowNs();
        timeProcess('ip', ['link', 'set', 'dev', ifname, ...attach], 1);
        timeProcess('ip', ['link', 'set', 'dev', ifname, 'xdp', 'off'], 1);
        xs.push(Number(nowNs() - t0) / 1e9);
      }
      return median(xs);
    });
    const anchor = ipPair(['xdp', 'pinned', pin]);
    rows.push(row({ ...attachRow, ours, anchor, note: `tsbpf: bpf_link, ${[...modes].join('/')} mode; ip: netlink; in-process median of ${inRuns} vs ${procRuns} ip pairs` }));
    const oursFull = inNetns(ns.name, () => {
      const xs: number[] = [];
      const bytes = readFileSync(clangObj!);
      for (let i = 0; i < inRuns + 2; i++) {
        const t0 = nowNs();
        const o = loadObjectSync(bytes, { name: 'udp_drop' });
        try {
          attachXdp({ fd: o.program('udp_drop').fd, name: 'udp_drop' }, ifname).detach();
        } finally {
          o.close();
        }
        if (i >= 2) xs.push(Number(nowNs() - t0) / 1e9);
      }
      return median(xs);
    });
    rows.push(row({ ...fullRow, ours: oursFull, anchor: ipPair(['xdp', 'obj', clangObj!, 'sec', 'xdp']), note: 'ip loads the object with libbpf, then attaches through netlink' }));
  } catch (e) {
    rows.push(unavailable(attachRow, reasonOf(e)), unavailable(fullRow, reasonOf(e)));
  }
  return rows;
}

/** iproute2 makes /sys/fs/bpf/{tc/globals,ip,xdp} on first use of `xdp obj`; remove the ones this run made (when empty). */
const IPROUTE_DIRS = ['/sys/fs/bpf/ip', '/sys/fs/bpf/xdp', '/sys/fs/bpf/tc/globals', '/sys/fs/bpf/tc'];

function forgetIprouteDirs(ctx: BenchContext): void {
  const exists = (p: string): boolean => {
    try {
      lstatSync(p);
      return true;
    } catch {
      return false;
    }
  };
  const before = new Set(IPROUTE_DIRS.filter(exists));
  ctx.defer(() => {
    for (const p of IPROUTE_DIRS) {
      if (before.has(p) || !exists(p)) continue;
      try {
        if (lstatSync(p).isSymbolicLink()) unlinkSync(p);
        else rmdirSync(p); // fails (and is left) when something was pinned inside meanwhile
      } catch {
        // not ours to force
      }
    }
  });
}
