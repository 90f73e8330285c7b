/**
 * The logging API a user's main.ts calls (Aya's `Ebpf::load` + `EbpfLogger::init`):
 * `loadObject(…, { log })` applies the level setting itself (pruned by the verifier, `false` =
 * all off, the caller's own constants win, ignored for objects that do not log, a bad filter
 * fails before anything is created), `obj.logs()` reads with that filter, `startLogger` pipes to
 * console or a pino-style logger and is closed with the object; records are lazy LogEntry
 * objects; batch subscribers get one array per ring read; close() from inside a callback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { loadObject, type LoadedObject } from '../../src/loader/index.js';
import { LogEntry, LogFilterError, LogReader, formatJson, formatLine, parseLogFilter, startLogger, type LogRecord } from '../../src/log/index.js';
import { Assembler, encode } from '../../src/insn/index.js';
import { emitObject } from '../../src/object/index.js';
import { buildLogObject } from './producer.js';
import { hello, udp } from './programs.js';
import { udp4 } from '../loader/packets.js';
import { need } from '../helpers/env.js';

const PACKET = udp4({ dport: 53, sport: 40001, src: [192, 168, 7, 9] });
const processed = (o: LoadedObject, prog: string): number => Number(/processed (\d+) insns/.exec(o.program(prog).log)![1]);
/** An XDP object without log calls (no .tsbpf.log). */
const NO_LOGS = emitObject({ license: 'GPL', programs: [{ name: 'p', section: 'xdp', bytes: encode(new Assembler().mov64('r0', 2).exit().finish().insns), relocations: [] }] });
const TWO = buildLogObject([{ name: 'udp_log', body: udp }, { name: 'hello_world', body: hello }]);
const LEVELS = (debug: boolean) => buildLogObject([{
  name: 'hello_world',
  body: (a, log) => {
    log({ level: 'error', format: 'e' });
    log({ level: 'info', format: 'i' });
    if (debug) log({ level: 'debug', format: 'd' });
    a.mov64('r0', 2).exit();
  },
}]);

test('loadObject(…, { log }): the loader sets the levels; false disables every call; the filter is the reader default', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const bytes = LEVELS(true).bytes;
  const counts: Record<string, number> = {};
  for (const log of ['off', 'error', 'info', 'debug', false, undefined] as const) {
    const o = await loadObject(bytes, { log, logLevel: 1 });
    try {
      counts[String(log)] = processed(o, 'hello_world');
      assert.deepEqual(o.logFilter, log === undefined ? undefined : log === false ? false : parseLogFilter(log));
    } finally {
      o.close();
    }
  }
  t.diagnostic(`processed instructions by log option: ${JSON.stringify(counts)}`);
  assert.equal(counts.false, counts.off, 'log: false is off for every target');
  assert.ok(counts.off! < counts.error! && counts.error! < counts.info! && counts.info! < counts.debug!);
  assert.equal(counts.undefined, counts.info, 'omitted: the object\'s built-in setting, info');

  // The reader takes the load filter; an explicit filter still wins.
  const o = await loadObject(bytes, { log: 'hello_world=debug,warn' });
  try {
    const logs = o.logs();
    assert.equal(logs.filter.spec, 'hello_world=debug,warn');
    o.program('hello_world').testRun(PACKET);
    const got: string[] = [];
    for (let r = logs.next(); r; r = logs.next()) got.push(`${r.level}:${r.message}`);
    assert.deepEqual(got, ['error:e', 'info:i', 'debug:d']);
    const errorsOnly = o.logs({ filter: 'error' });
    o.program('hello_world').testRun(PACKET);
    assert.deepEqual([errorsOnly.next()?.message, errorsOnly.next()], ['e', undefined]);
    assert.equal(errorsOnly.stats.filtered, 2);
  } finally {
    o.close();
  }

  const off = await loadObject(bytes, { log: false });
  try {
    assert.throws(() => off.logs(), /logging was disabled when this object was loaded \(log: false\)/);
    assert.equal(startLogger(off), undefined);
  } finally {
    off.close();
  }
});

test('loadObject(…, { log }): bad filters fail first, explicit constants win, objects without logs ignore it', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const bytes = LEVELS(false).bytes;
  await assert.rejects(loadObject(bytes, { log: 'hello_world=loud' }), (e: unknown) => e instanceof LogFilterError && /'loud' is not a level/.test(e.message));
  // The caller's own tsbpf_log_levels beats the log option.
  const own = await loadObject(bytes, { log: 'off', constants: { tsbpf_log_levels: [5] }, logLevel: 1 });
  const off = await loadObject(bytes, { log: 'off', logLevel: 1 });
  try {
    assert.deepEqual(own.readGlobal('tsbpf_log_levels'), [5]);
    assert.ok(processed(own, 'hello_world') > processed(off, 'hello_world'));
  } finally {
    own.close();
    off.close();
  }
  // No .tsbpf.log: nothing to set, not even a bad filter is read; logs() says why.
  const stripped = await loadObject(NO_LOGS, { log: 'nonsense=' });
  try {
    assert.equal(stripped.logFilter, undefined);
  } finally {
    stripped.close();
  }
});

test('startLogger: console lines or (object, message) calls; closing the object prints what is left', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const o = await loadObject(TWO.bytes, { log: 'info' });
  const calls: [string, object, string][] = [];
  const pino = {
    error: (x: object, m: string) => void calls.push(['error', x, m]), warn: (x: object, m: string) => void calls.push(['warn', x, m]),
    info: (x: object, m: string) => void calls.push(['info', x, m]), debug: (x: object, m: string) => void calls.push(['debug', x, m]),
  };
  const reader = startLogger(o, pino);
  assert.ok(reader instanceof LogReader);
  o.program('udp_log').testRun(PACKET, { repeat: 2 });
  o.program('hello_world').testRun(PACKET);
  o.close(); // closes the reader first: the three records reach the logger
  assert.ok(reader.isClosed);
  assert.deepEqual(calls.map(([level, fields, m]) => [level, (fields as { target: string }).target, m]), [
    ['info', 'udp_log', 'udp from 192.168.7.9 mac 02:00:00:00:00:01 port 40001 (9c41)'],
    ['info', 'udp_log', 'udp from 192.168.7.9 mac 02:00:00:00:00:01 port 40001 (9c41)'],
    ['info', 'hello_world', 'received a packet'],
  ]);
  assert.throws(() => o.logs(), /closed/);

  const c = await loadObject(TWO.bytes, { log: 'info' });
  const orig = console.info;
  const lines: string[] = [];
  console.info = (...a: unknown[]) => void lines.push(String(a[0]));
  try {
    startLogger(c);
    c.program('hello_world').testRun(PACKET);
    c.close();
  } finally {
    console.info = orig;
  }
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO  hello_world\] received a packet$/);
  const none = await loadObject(NO_LOGS);
  try {
    assert.equal(startLogger(none), undefined, 'nothing to read');
    assert.throws(() => none.logs(), /no log calls/);
  } finally {
    none.close();
  }
});

test('records are LogEntry objects: message, values and Date made on first access; plain forms for inspect/JSON', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const o = await loadObject(TWO.bytes, { log: 'info' });
  try {
    const logs = o.logs({ now: () => new Date('2024-06-08T04:24:21.005Z') });
    o.program('udp_log').testRun(PACKET);
    const r = logs.next()!;
    assert.ok(r instanceof LogEntry);
    assert.equal(r.timeMs, Date.parse('2024-06-08T04:24:21.005Z'));
    assert.equal(r.message, 'udp from 192.168.7.9 mac 02:00:00:00:00:01 port 40001 (9c41)');
    assert.equal(r.message, r.message, 'made once');
    assert.equal(r.args, r.args);
    assert.equal(r.time, r.time);
    assert.deepEqual(r.args, ['192.168.7.9', '02:00:00:00:00:01', 40001, 40001]);
    assert.deepEqual([r.level, r.target, r.file, r.line, r.id, r.lost], ['info', 'udp_log', 'test.bpf.ts', 10, 0, undefined]);
    const plain: LogRecord = { time: r.time, level: 'info', target: 'udp_log', message: r.message, args: r.args, file: 'test.bpf.ts', line: 10, id: 0 };
    assert.deepEqual(r.toObject(), plain);
    assert.equal(formatLine(r), formatLine(plain));
    assert.equal(formatJson(r), formatJson(plain));
    assert.match(formatJson(r), /^\{"time":"2024-06-08T04:24:21\.005Z",/);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), JSON.parse(formatJson(r)));
    assert.match(inspect(r), /message: 'udp from 192\.168\.7\.9/);
    logs.close();
  } finally {
    o.close();
  }
});

test('subscribeBatch: one array per ring read, loss reports included; close() from a callback finishes after the batch', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const small = buildLogObject([{ name: 'hello_world', body: hello }], { ringSize: 4096 });
  const o = await loadObject(small.bytes, { log: 'info' });
  try {
    o.program('hello_world').testRun(PACKET, { repeat: 1000 }); // 255 fit, the rest is lost
    const batches: LogRecord[][] = [];
    const logs = o.logs().subscribeBatch((b) => void batches.push(b));
    assert.deepEqual(batches.map((b) => b.length), [255, 1], 'the ring at once, then the loss report');
    assert.equal(batches[1]![0]!.lost, 745);
    o.program('hello_world').testRun(PACKET, { repeat: 3 });
    logs.close();
    assert.deepEqual(batches.map((b) => b.length), [255, 1, 3]);

    // close() inside a record callback: no re-entry into the ring, the rest is still delivered.
    o.program('hello_world').testRun(PACKET, { repeat: 5 });
    const seen: LogRecord[] = [];
    const r = o.logs();
    r.subscribe((x) => {
      seen.push(x);
      if (seen.length === 2) r.close();
    });
    // A new reader also reports the losses counted since load (745), once.
    assert.deepEqual(seen.map((x) => x.lost ?? x.message), [...Array(5).fill('received a packet'), 745]);
    assert.ok(r.isClosed);
  } finally {
    o.close();
  }
});

test('the reader\'s fast path: filtered sites are skipped by id, records that do not match the table become notices', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const built = buildLogObject([{ name: 'hello_world', body: hello }]); // site 0: a 4-byte record
  const o = await loadObject(built.bytes, { log: 'info' });
  try {
    const site = built.meta.sites[0]!;
    const read = (sites: typeof built.meta.sites, filter = 'trace'): { got: LogRecord[]; stats: LogReader['stats'] } => {
      const r = new LogReader({ meta: { ...built.meta, sites }, ring: o.map('tsbpf_logs'), readLost: () => 0n }, { filter });
      o.program('hello_world').testRun(PACKET, { repeat: 2 });
      const got: LogRecord[] = [];
      for (let x = r.next(); x; x = r.next()) got.push(x);
      r.close();
      return { got, stats: r.stats };
    };
    const filtered = read([site], 'off');
    assert.deepEqual([filtered.got.length, filtered.stats.received, filtered.stats.filtered, filtered.stats.delivered], [0, 2, 2, 0]);
    const unknown = read([{ ...site, id: 7 }]);
    assert.deepEqual(unknown.got.map((x) => [x.target, x.level, x.message]), Array(2).fill(['tsbpf', 'warn', 'undecodable log record: site id 0 is not in this object\'s log table (4 bytes)']));
    const short = read([{ ...site, size: 12, text: ['v=', ''], args: [{ kind: 'u64', hint: '', offset: 4, size: 8 }] }]);
    assert.match(short.got[0]!.message, /^undecodable log record: site 0 \(test\.bpf\.ts:10\) has 4 bytes, expected 12$/);
    assert.equal(short.stats.invalid, 2);
    const big = read([{ ...site, id: 70000 }, { ...site, id: 0, text: ['zero'] }]);
    assert.deepEqual(big.got.map((x) => x.message), ['zero', 'zero'], 'a table with ids past the dense range (a map) still finds the others');
  } finally {
    o.close();
  }
});
