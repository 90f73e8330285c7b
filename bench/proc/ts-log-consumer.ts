/**
 * tsbpf's log reader in its own process (row 4's log-record rows), speaking the stream protocol of
 * bench/c/rb-consumer.c and ts-consumer.ts:
 *   node dist/bench/proc/ts-log-consumer.js OBJECT RING_PIN BSS_PIN [objects|reused|formatted|printed]
 * The producer process loaded OBJECT (a compiled logging program) and pinned its `tsbpf_logs`
 * ring and the `.bss` map holding `tsbpf_log_lost`. This process reads the call-site table from
 * OBJECT, opens a LogReader over the pins and, until SIGTERM, takes every record through
 * `subscribeBatch`:
 *   objects   — as a LogRecord object a consumer may keep (level and target read; arguments
 *               and message stay lazy until read, so a consumer pays for what it reads);
 *   reused    — the same with `{ reuse: true }`: record objects valid until the callback returns;
 *   formatted — the same, and each record's message is built (`record.message`);
 *   printed   — what `tsbpf run` does: `formatLine` of every record, one string and one write
 *               (to /dev/null) per batch.
 * Then it drains, reads the final lost count and prints one JSON line: records, lost (as the
 * reader reported it), first/last consumption times. The clock is read once per drained batch, as
 * the C consumer does.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { formatLine, type LogRecord } from '../../src/log/format.js';
import { LogReader } from '../../src/log/reader.js';
import { readLogMeta } from '../../src/object/log-meta.js';
import { parseObject } from '../../src/object/parse.js';
import { fdNum, objGet } from '../../src/sys/bpf.js';
import { Mapping, PROT_READ, pageSize } from '../../src/sys/mmap.js';

const [objectPath, ringPin, bssPin, mode = 'objects'] = process.argv.slice(2);
if (!objectPath || !ringPin || !bssPin || !['objects', 'reused', 'formatted', 'printed'].includes(mode)) {
  process.stderr.write('usage: ts-log-consumer OBJECT RING_PIN BSS_PIN [objects|reused|formatted|printed]\n');
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
const devNull = openSync('/dev/null', 'w');

const reader = new LogReader({ meta, ring: { fd: ringFd, name: meta.ringbuf }, readLost: () => lostCell.getBigUint64(0, true) }, { filter: 'trace' });
// count, lost, characters seen (in a Float64Array: a module-level `let` holding a growing number
// would be a heap number written per record).
const acc = new Float64Array(3);
let first = 0n;
let last = 0n;

/** `objects`/`reused`: use the object as a consumer that ships or filters records would. */
function useObjects(batch: LogRecord[]): void {
  for (const rec of batch) {
    if (rec.lost !== undefined) {
      acc[1]! += rec.lost;
      continue;
    }
    acc[2]! += rec.level.length + rec.target.length;
    acc[0]!++;
  }
}

/** `formatted`: the message of every record. */
function useMessages(batch: LogRecord[]): void {
  for (const rec of batch) {
    if (rec.lost !== undefined) {
      acc[1]! += rec.lost;
      continue;
    }
    acc[2]! += rec.message.length;
    acc[0]!++;
  }
}

/** `printed`: `tsbpf run`'s text output — a line per record, one write per batch. */
function printLines(batch: LogRecord[]): void {
  let text = '';
  for (const rec of batch) {
    if (rec.lost !== undefined) acc[1]! += rec.lost;
    else acc[0]!++;
    text += `${formatLine(rec)}\n`;
  }
  acc[2]! += text.length;
  writeSync(devNull, text);
}

const use = mode === 'printed' ? printLines : mode === 'formatted' ? useMessages : useObjects;
reader.subscribeBatch((batch) => {
  use(batch);
  last = process.hrtime.bigint();
  if (!first) first = last;
}, (e) => {
  process.stderr.write(`ts-log-consumer: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}, { reuse: mode === 'reused' });

process.on('SIGTERM', () => {
  const before = acc[0]!;
  reader.close(); // the rest of the ring and the final lost count, through the subscriber
  if (acc[0]! > before) last = process.hrtime.bigint();
  process.stdout.write(`${JSON.stringify({ count: acc[0], lost: acc[1], first: String(first), last: String(last), chars: acc[2] })}\n`, () => {
    mapping.close();
    ringFd.close();
    bssFd.close();
    closeSync(devNull);
    process.exit(0);
  });
});
process.stdout.write('ready\n');
