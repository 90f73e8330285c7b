// packet03's user side for xdp_redirect.bpf.ts: sends the IP packets arriving on IN out of OUT,
// addressed to the next hop's MAC (--dest-mac). With --map it attaches xdp_redirect_map and
// names OUT through the DevMap; otherwise xdp_redirect, with OUT's index fixed at load.
//
//   sudo node redirect.js PROGRAM -i IN -o OUT --dest-mac MAC [--map] [-m MODE]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { attachXdp, codecs, loadModel, resolveInterface, type XdpAttachMode } from 'tsbpf';
import { ctrlC, readProgram, run } from '../common/load.js';

function parseMac(text: string): number[] {
  const bytes = text.trim().split(':').map((h) => Number.parseInt(h, 16));
  if (bytes.length !== 6 || bytes.some((b) => !(b >= 0 && b <= 255))) throw new Error(`'${text}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return bytes;
}

run(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      iface: { type: 'string', short: 'i' },
      out: { type: 'string', short: 'o' },
      'dest-mac': { type: 'string' },
      map: { type: 'boolean', default: false },
      mode: { type: 'string', short: 'm', default: 'auto' },
    },
  });
  if (positionals.length !== 1 || !values.iface || !values.out || !values['dest-mac']) {
    throw new Error('usage: redirect.js PROGRAM -i IN -o OUT --dest-mac MAC [--map] [-m MODE]');
  }
  const out = resolveInterface(values.out);
  // The source MAC of redirected packets is OUT's own (sysfs shows this network namespace's).
  const source = parseMac(readFileSync(`/sys/class/net/${out.name}/address`, 'utf8'));
  const dest = parseMac(values['dest-mac']);

  const bpf = loadModel(await readProgram(positionals[0]!), { constants: { out_ifindex: out.index } });
  try {
    bpf.map('redirect_params').set(0, { dest, source }); // keys and values as the program's BTF describes them
    bpf.map('tx_port', { key: codecs.u32, value: codecs.u32 }).set(0, out.index);
    const name = values.map ? 'xdp_redirect_map' : 'xdp_redirect';
    const link = attachXdp(bpf.program(name), values.iface, { mode: values.mode as XdpAttachMode });
    console.log(`${name}: IP packets from ${values.iface} go out of ${out.name} (ifindex ${out.index}) to ${values['dest-mac']}`);
    console.log('Waiting for Ctrl-C...');
    await ctrlC().done;
    link.detach();
    console.log('Exiting...');
  } finally {
    bpf.close();
  }
});
