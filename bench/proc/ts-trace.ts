/**
 * Row 4's printk side: bpf_printk lines read through tsbpf's TracePipe (a private tracefs
 * instance) and parsed into TraceLine objects, in their own process like the ring-buffer consumers.
 *   node dist/bench/proc/ts-trace.js MARKER — "ready", then count parsed lines whose message starts
 *     with MARKER; after SIGTERM keep reading until 200 ms pass without a line, then print one JSON
 *     line (count, first/last batch times, overruns the kernel reported).
 */
import { TracePipe } from '../../src/trace/trace-pipe.js';

const marker = process.argv[2];
if (!marker) {
  process.stderr.write('usage: ts-trace MARKER\n');
  process.exit(2);
}
const pipe = TracePipe.open({ filter: marker, bufferSizeKb: 4096 });
let count = 0;
let first = 0n;
let last = 0n;
// Ctrl-C reaches the whole process group: leave no tracefs instance behind.
process.on('SIGINT', () => {
  pipe.close();
  process.exit(130);
});
process.on('SIGTERM', () => {
  let seen = -1;
  const timer = setInterval(() => {
    if (count !== seen) {
      seen = count;
      return;
    }
    clearInterval(timer);
    pipe.close(); // ends the loop below
  }, 200);
});
process.stdout.write('ready\n');
for await (const line of pipe) {
  if (!line.message.startsWith(marker)) continue;
  count++;
  last = process.hrtime.bigint();
  if (!first) first = last;
}
process.stdout.write(`${JSON.stringify({ count, first: String(first), last: String(last), overruns: pipe.overruns() })}\n`);
