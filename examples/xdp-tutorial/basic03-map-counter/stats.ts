// basic03's user side (the tutorial's xdp_load_and_stats): loads xdp_stats, attaches it to an
// interface and prints the per-action counters every second, read from the per-CPU map, until
// Ctrl-C (or --count reports).
//
//   sudo node stats.js PROGRAM -i IFACE [--drop] [--interval MS] [--count N] [-m MODE]
//
// PROGRAM is xdp_stats.bpf.ts (compiled here) or the object `tsbpf build` made of it.
import { parseArgs } from 'node:util';
import { XdpAction } from 'tsbpf/kernel';
import { attachXdp, loadModel, type XdpAttachMode } from 'tsbpf';
import { ctrlC, readProgram, run } from '../common/load.js';
import { printEvery, readTotals, type DataRec } from '../common/stats.js';

run(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      iface: { type: 'string', short: 'i' },
      drop: { type: 'boolean', default: false },
      interval: { type: 'string', default: '1000' },
      count: { type: 'string' },
      mode: { type: 'string', short: 'm', default: 'auto' },
    },
  });
  if (positionals.length !== 1 || !values.iface) throw new Error('usage: stats.js PROGRAM -i IFACE [--drop] [--interval MS] [--count N] [-m MODE]');

  // The verdict is a load-time setting of the program (`export const verdict` in its .rodata).
  const bpf = loadModel(await readProgram(positionals[0]!), { constants: { verdict: values.drop ? XdpAction.DROP : XdpAction.PASS } });
  try {
    const link = attachXdp(bpf.program('xdp_stats'), values.iface, { mode: values.mode as XdpAttachMode });
    console.log(`Counting on ${values.iface} (${values.drop ? 'dropping' : 'passing'} every packet); Ctrl-C to stop\n`);
    const stats = bpf.map<number, DataRec[]>('xdp_stats_map');
    const stop = ctrlC();
    await printEvery(() => readTotals(stats), Number(values.interval), values.count === undefined ? undefined : Number(values.count), stop.done);
    stop.dispose();
    link.detach();
  } finally {
    bpf.close();
  }
});
