/**
 * tsbpf's log reader in its own process (row 4's log-record rows), speaking the stream protocol of
 * bench/c/rb-consumer.c and ts-consumer.ts:
 *   node dist/bench/proc/ts-log-consumer.js OBJECT RING_PIN BSS_PIN [objects|formatted]
 * The producer process loaded OBJECT (a compiled logging program) and pinned its `tsbpf_logs`
 * ring and the `.bss` map holding `tsbpf_log_lost`. This process reads the call-site table from
 * OBJECT, opens a LogReader over the pins and takes every record as a LogRecord object (`objects`:
 * level and target read; arguments and message stay lazy until read) or also builds its
 * formatted message (`formatted`: what `tsbpf run` prints) until SIGTERM; then it drains, reads the
 * final lost count and prints one JSON line: records, lost (as the reader reported it), first/last
 * consumption times. The clock is read once per drained batch, as the C consumer does.
 */
import { readFileSync } from 'node:fs';
import { LogReader } from '../../src/log/reader.js';
import { readLogMeta } from '../../src/object/log-meta.js';
import { parseObject } from '../../src/object/parse.js';
import { fdNum, objGet } from '../../src/sys/bpf.js';
import { Mapping, PROT_READ, pageSize } from '../../src/sys/mmap.js';

const [objectPath, ringPin, bssPin, mode = 'objects'] = process.argv.slice(2);
const formatted = mode === 'formatted';
if (!objectPath || !ringPin || !bssPin) {
  process.stderr.write('usage: ts-log-consumer OBJECT RING_PIN BSS_PIN\n');
  process.exit(2);
}

const model = parseObject(readFileSync(objectPath));
const meta = readLogMeta(model.elf);
if (!meta) throw new Error(`${objectPath} has no log calls`);
const bss = model.maps.find((m) => m.kind === 'data' && m.variables?.some((v) => v.name === meta.lost));
const lostVar = bss?.variables?.find((v) => v.name === meta.lost);
if (!bss || !lostVar) throw new Error(`${objectPath}: no ${meta.lost} variable`);

const ringFd = objGet(ringPin);
const bssFd = objGet(bssPin);
const mapping = Mapping.map(fdNum(bssFd), Math.ceil(bss.valueSize / pageSize()) * pageSize(), PROT_READ, 0, 'lost counter');
const lostCell = new DataView(mapping.buffer, lostVar.offset, 8);

const reader = new LogReader({ meta, ring: { fd: ringFd, name: meta.ringbuf }, readLost: () => lostCell.getBigUint64(0, true) }, { filter: 'trace' });
let count = 0;
let lost = 0;
let chars = 0;
let first = 0n;
let last = 0n;

reader.subscribeBatch((batch) => {
  for (const rec of batch) {
    if (rec.lost !== undefined) {
      lost += rec.lost;
      continue;
    }
    // Use the object: a real consumer would print (formatted) or ship it (objects).
    // `objects`: the record object as handed over (level, target; arguments and message are decoded
    // lazily on first access, so a consumer pays for what it reads); `formatted`: its message text.
    chars += formatted ? rec.message.length : rec.level.length + rec.target.length;
    count++;
  }
  last = process.hrtime.bigint();
  if (!first) first = last;
}, (e) => {
  process.stderr.write(`ts-log-consumer: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

process.on('SIGTERM', () => {
  const before = count;
  reader.close(); // the rest of the ring and the final lost count, through the subscriber
  if (count > before) last = process.hrtime.bigint();
  process.stdout.write(`${JSON.stringify({ count, lost, first: String(first), last: String(last), chars })}\n`, () => {
    mapping.close();
    ringFd.close();
    bssFd.close();
    process.exit(0);
  });
});
process.stdout.write('ready\n');
