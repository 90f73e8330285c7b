// basic04's loader: loads xdp_stats with its map pinned under PIN_DIR (default /sys/fs/bpf/IFACE),
// attaches it to IFACE and keeps it attached until Ctrl-C. The pinned map outlives this process:
// stats.js reads it from another process, and the next load counts on into the same map.
//
//   sudo node load.js PROGRAM -i IFACE [--pin-dir DIR] [-m MODE]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { attachXdp, loadModel, type XdpAttachMode } from 'tsbpf';
import { ctrlC, readProgram, run } from '../common/load.js';

run(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      iface: { type: 'string', short: 'i' },
      'pin-dir': { type: 'string' },
      mode: { type: 'string', short: 'm', default: 'auto' },
    },
  });
  if (positionals.length !== 1 || !values.iface) throw new Error('usage: load.js PROGRAM -i IFACE [--pin-dir DIR] [-m MODE]');
  const pinDir = values['pin-dir'] ?? join('/sys/fs/bpf', values.iface);
  const pin = join(pinDir, 'xdp_stats_map');
  const reused = existsSync(pin);

  // Maps declared `pinning: 'byName'` are pinned in pinPath, or taken from there when present.
  const bpf = loadModel(await readProgram(positionals[0]!), { pinPath: pinDir });
  try {
    console.log(`${reused ? 'Reusing the map pinned at' : 'Pinned the map at'} ${pin}`);
    const link = attachXdp(bpf.program('xdp_stats'), values.iface, { mode: values.mode as XdpAttachMode });
    console.log('Waiting for Ctrl-C...');
    await ctrlC().done;
    link.detach();
    console.log(`Exiting... (the map stays pinned: rm ${pin} to remove it)`);
  } finally {
    bpf.close();
  }
});
