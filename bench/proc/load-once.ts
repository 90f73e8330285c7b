/**
 * Row 5's whole-process tsbpf side: `node dist/bench/proc/load-once.js OBJECT` loads the object
 * (BTF, maps, programs through the verifier), closes it and exits — what `bpftool prog load` does
 * as a process, minus the pin.
 */
import { loadObjectSync } from '../../src/loader/index.js';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: load-once OBJECT\n');
  process.exit(2);
}
loadObjectSync(path).close();
