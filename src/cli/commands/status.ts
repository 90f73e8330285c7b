/**
 * `tsbpf status`: what is attached where — XDP programs per interface (like `xdp-loader status`),
 * tcx programs and tc filters on the hooks of this namespace's interfaces, and every bpf_link of
 * the system (tracing, perf-event, cgroup, raw tracepoint, tcx, … — like `bpftool net` + `bpftool link`).
 */
import { parseArgs } from 'node:util';
import type { Command, CliIO } from '../command.js';
import type { InterfaceStatus } from '../../attach/xdp-status.js';
import type { AttachmentStatus } from '../../attach/status.js';

const usage = `Usage: tsbpf status [--attached] [--json]

Lists the interfaces of the current network namespace with the XDP programs attached to them:
mode (native, skb, hw), program id, name and tag, and the bpf_link id (none for programs attached
through netlink, e.g. by \`ip link set dev IFACE xdp ...\`). Then the tc programs of those
interfaces: tcx programs (Linux 6.6+; \`tsbpf run\` of a classifier attaches one) per hook in the
order they run, with their link ids, and the tc filters on the clsact hooks (\`tsbpf run -m netlink\`,
\`tc filter add\`). Last, every BPF link of the system with its program and target: kprobes,
tracepoints and perf events (perf_event), raw tracepoints and tp_btf, fentry/fexit/lsm
(tracing), cgroup programs (with the cgroup's path), tcx links (ifindex).

Options:
  --attached   only interfaces that have an XDP program
  --json       machine-readable output
`;

/** The status table (exported for tests). */
export function formatStatus(rows: InterfaceStatus[], netns: { inode: number; name?: string }, attachedOnly = false): string {
  const head = ['Interface', 'Index', 'Mode', 'Prog ID', 'Name', 'Tag', 'Link ID'];
  const lines: string[][] = [];
  for (const r of rows) {
    if (r.xdp.length === 0) {
      lines.push([r.ifname, String(r.ifindex), '-', '-', '<no XDP program>', '', '']);
      continue;
    }
    for (const x of r.xdp) {
      lines.push([r.ifname, String(r.ifindex), x.mode, String(x.progId), x.progName || '?', x.progTag || '?', x.linkId !== undefined ? String(x.linkId) : '- (netlink)']);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const ns = netns.name ? `${netns.name} (inode ${netns.inode})` : `inode ${netns.inode}`;
  const body = lines.length ? lines.map(fmt).join('\n') : attachedOnly ? '(no XDP program is attached)' : '(no interfaces)';
  return `XDP status, network namespace ${ns}:\n\n${fmt(head)}\n${body}\n`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n');
}

/** The tcx, tc and link sections (exported for tests). */
export function formatAttachments(st: AttachmentStatus): string {
  const tcx = st.tcx.map((p) => [p.ifname, p.direction, String(p.position), String(p.progId), p.progName, p.linkId !== undefined ? String(p.linkId) : '- (prog attach)']);
  const tc = st.tc.map((f) => [f.ifname, f.direction, String(f.prio), `0x${f.handle.toString(16)}`, f.kind, f.progId !== undefined ? String(f.progId) : '-', f.progName ?? '-', f.directAction ? 'direct-action' : '']);
  const links = st.links.map((l) => [String(l.id), l.type, l.attachType ?? '-', String(l.progId), l.progName, l.progType, l.target || '-']);
  return [
    'tcx programs (tc hooks, bpf_link) in this network namespace:',
    '',
    tcx.length ? table(['Interface', 'Hook', 'Order', 'Prog ID', 'Name', 'Link ID'], tcx) : st.tcxAvailable ? '(no tcx programs)' : '(this kernel has no tcx: Linux 6.6+)',
    '',
    'tc filters (clsact hooks) in this network namespace:',
    '',
    tc.length ? table(['Interface', 'Hook', 'Pref', 'Handle', 'Kind', 'Prog ID', 'Name', 'Mode'], tc) : '(no tc filters)',
    '',
    'BPF links (all namespaces):',
    '',
    links.length ? table(['Link ID', 'Type', 'Attach type', 'Prog ID', 'Name', 'Prog type', 'Target'], links) : '(no BPF links)',
    '',
  ].join('\n');
}

export async function statusMain(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { attached: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    allowPositionals: false,
    strict: true,
  });
  const { xdpStatus } = await import('../../attach/xdp-status.js');
  const { attachmentStatus } = await import('../../attach/status.js');
  const { currentNetns } = await import('../../sys/netns.js');
  let rows = xdpStatus();
  if (values.attached) rows = rows.filter((r) => r.xdp.length > 0);
  const netns = currentNetns();
  const more = attachmentStatus();
  if (values.json) {
    // cgroup ids are 64-bit: as decimal strings.
    const json = JSON.stringify({ netns, interfaces: rows, tcxAvailable: more.tcxAvailable, tcx: more.tcx, tc: more.tc, links: more.links }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
    io.out(`${json}\n`);
    return 0;
  }
  io.out(`${formatStatus(rows, netns, values.attached)}\n${formatAttachments(more)}`);
  return 0;
}

export const command: Command = {
  name: 'status',
  summary: 'show what is attached: XDP, tcx and tc programs per interface, and every BPF link',
  usage,
  run: statusMain,
};
