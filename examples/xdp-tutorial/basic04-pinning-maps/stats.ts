// basic04's reader, a process of its own: opens the map pinned by load.js and prints the
// per-action counters every second until Ctrl-C (or --count reports). It does not load or
// attach anything; the map's fd comes from its path on the BPF filesystem.
//
//   sudo node stats.js [-i IFACE | --pin-dir DIR] [--interval MS] [--count N]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { codecs, openPinnedMap, type BpfMap } from 'tsbpf';
import { ctrlC, run } from '../common/load.js';
import { dataRecCodec, printEvery, readTotals, type DataRec } from '../common/stats.js';

run(async () => {
  const { values } = parseArgs({
    options: {
      iface: { type: 'string', short: 'i' },
      'pin-dir': { type: 'string' },
      interval: { type: 'string', default: '1000' },
      count: { type: 'string' },
    },
  });
  const pinDir = values['pin-dir'] ?? (values.iface ? join('/sys/fs/bpf', values.iface) : undefined);
  if (!pinDir) throw new Error('usage: stats.js [-i IFACE | --pin-dir DIR] [--interval MS] [--count N]');
  // A per-CPU map hands out one value per CPU: the codec describes one.
  const map = openPinnedMap(join(pinDir, 'xdp_stats_map'), { key: codecs.u32, value: dataRecCodec }) as unknown as BpfMap<number, DataRec[]>;
  try {
    console.log(`Reading ${join(pinDir, 'xdp_stats_map')} (${map.typeName}, ${map.maxEntries} entries)\n`);
    const stop = ctrlC();
    await printEvery(() => readTotals(map), Number(values.interval), values.count === undefined ? undefined : Number(values.count), stop.done);
    stop.dispose();
  } finally {
    map.close();
  }
});
