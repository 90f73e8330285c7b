/** `tsbpf status`: which XDP programs are attached where (like `bpftool net` / `xdp-loader status`). */
import { parseArgs } from 'node:util';
import type { Command, CliIO } from '../command.js';
import type { InterfaceStatus } from '../../attach/xdp-status.js';

const usage = `Usage: tsbpf status [--attached] [--json]

Lists the interfaces of the current network namespace with the XDP programs attached to them:
mode (native, skb, hw), program id, name and tag, and the bpf_link id (none for programs attached
through netlink, e.g. by \`ip link set dev IFACE xdp ...\`).

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

export async function statusMain(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { attached: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    allowPositionals: false,
    strict: true,
  });
  const { xdpStatus } = await import('../../attach/xdp-status.js');
  const { currentNetns } = await import('../../sys/netns.js');
  let rows = xdpStatus();
  if (values.attached) rows = rows.filter((r) => r.xdp.length > 0);
  const netns = currentNetns();
  if (values.json) {
    io.out(`${JSON.stringify({ netns, interfaces: rows }, null, 2)}\n`);
    return 0;
  }
  io.out(formatStatus(rows, netns, values.attached));
  return 0;
}

export const command: Command = {
  name: 'status',
  summary: 'show which XDP programs are attached to which interfaces',
  usage,
  run: statusMain,
};
