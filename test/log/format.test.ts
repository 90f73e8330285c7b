/**
 * Decoding and formatting without the kernel: records built by hand with the layout the kernel
 * side writes, every kind × hint, the seed's line format, colours, JSON lines, escaping of control
 * characters from kernel data, records that do not match the table, loss reports, and handing
 * records to loggers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogDecoder, lostNotice } from '../../src/log/decode.js';
import { decodeValue, escapeControl, formatArg, formatJson, formatLine, formatTime, type LogRecord } from '../../src/log/format.js';
import { toLogger } from '../../src/log/reader.js';
import { argKindFor, layoutRecord, parseFormat, type LogMeta, type LogSite } from '../../src/log/abi.js';

const T = new Date('2024-06-08T04:24:21.678Z');
const b = (...x: number[]) => new Uint8Array(x);

/** A site from a format and argument types, as the compiler lays it out, and an encoder for its records. */
function site(id: number, format: string, types: string[], level: LogSite['level'] = 'info'): { site: LogSite; record: (values: (number | bigint | Uint8Array)[]) => Uint8Array } {
  const f = parseFormat(format);
  const kinds = types.map((t, i) => argKindFor(t, f.holes[i]!) as { kind: any; size: number });
  const l = layoutRecord(kinds);
  const s: LogSite = { id, level, target: 0, file: 'x.bpf.ts', line: 40 + id, column: 5, size: l.size, text: f.text, args: kinds.map((k, i) => ({ kind: k.kind, hint: f.holes[i]!, offset: l.offsets[i]!, size: k.size })) };
  return {
    site: s,
    record(values) {
      const r = new Uint8Array(l.size);
      const v = new DataView(r.buffer);
      v.setUint32(0, id, true);
      s.args.forEach((a, i) => {
        const x = values[i]!;
        if (x instanceof Uint8Array) r.set(x, a.offset);
        else if (a.size === 8) v.setBigUint64(a.offset, BigInt.asUintN(64, BigInt(x)), true);
        else for (let k = 0; k < a.size; k++) r[a.offset + k] = Number((BigInt.asUintN(64, BigInt(x)) >> BigInt(8 * k)) & 0xffn);
      });
      return r;
    },
  };
}

const meta = (sites: LogSite[]): LogMeta => ({ version: 1, ringbuf: 'tsbpf_logs', levels: 'tsbpf_log_levels', lost: 'tsbpf_log_lost', targets: ['hello_world'], sites });

test('the seed line: [RFC3339 LEVEL target] message, level padded to 5', () => {
  const s = site(0, 'received a packet', []);
  const r = new LogDecoder(meta([s.site])).decode(s.record([]), T);
  assert.deepEqual(r, { time: T, level: 'info', target: 'hello_world', message: 'received a packet', args: [], file: 'x.bpf.ts', line: 40, id: 0 });
  assert.equal(formatLine(r), '[2024-06-08T04:24:21Z INFO  hello_world] received a packet');
  assert.equal(formatTime(new Date('1999-12-31T23:59:59.999Z')), '1999-12-31T23:59:59Z');
  for (const [level, label] of [['error', 'ERROR'], ['warn', 'WARN '], ['debug', 'DEBUG'], ['trace', 'TRACE']] as const) {
    assert.equal(formatLine({ ...r, level }), `[2024-06-08T04:24:21Z ${label} hello_world] received a packet`);
  }
  const c = formatLine(r, { color: true });
  assert.equal(c, '\x1b[2m[\x1b[0m2024-06-08T04:24:21Z \x1b[32mINFO \x1b[0m hello_world\x1b[2m]\x1b[0m received a packet');
  assert.equal(c.replace(/\x1b\[[0-9;]*m/g, ''), formatLine(r), 'colours only add escapes');
  assert.match(formatLine({ ...r, level: 'error' }, { color: true }), /\x1b\[1;31mERROR/);
});

test('a UDP record: IPv4 source, MAC and hex port, plus every integer kind and hint', () => {
  const s = site(3, 'src {:ip} mac {:mac} port {:x} ({}) ok={} n={} {:X}', ['be32', 'u8[6]', 'u16', 'be16', 'bool', 'i32', 'u64']);
  const rec = s.record([b(192, 168, 1, 20), b(0x02, 0x42, 0xac, 0x11, 0x00, 0x02), 0x35, 53 /* be16: the kernel side swapped it to host order */, 1, -7, 0xdead_beef_cafen]);
  const r = new LogDecoder(meta([s.site])).decode(rec, T);
  assert.equal(r.message, 'src 192.168.1.20 mac 02:42:ac:11:00:02 port 35 (53) ok=true n=-7 DEADBEEFCAFE');
  assert.deepEqual(r.args, ['192.168.1.20', '02:42:ac:11:00:02', 0x35, 53, true, -7, 0xdead_beef_cafen]);
  const cases: [Parameters<typeof formatArg>[0], Parameters<typeof formatArg>[1], Uint8Array, string][] = [
    ['u8', '', b(255), '255'], ['i8', '', b(0x80), '-128'], ['i8', 'x', b(0xff), 'ff'], ['i16', 'X', b(0xfe, 0xff), 'FFFE'],
    ['u32', 'x', b(0xef, 0xbe, 0xad, 0xde), 'deadbeef'], ['i64', '', b(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), '-1'],
    ['i64', 'x', b(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 'ffffffffffffffff'],
    ['u64', '', b(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), '18446744073709551615'],
    ['bool', '', b(0), 'false'], ['bool', '', b(2), 'true'],
    ['ipv4', 'x', b(10, 0, 0, 1), '0a000001'], ['mac', 'X', b(0xaa, 0xbb, 0xcc, 1, 2, 3), 'AABBCC010203'],
    ['bytes', '', b(1, 2, 255), '[1, 2, 255]'], ['bytes', 'x', b(1, 2, 255), '0102ff'], ['bytes', 'X', b(0xab), 'AB'],
    ['str', '', new TextEncoder().encode('nginx\0junk'), 'nginx'], ['str', 'x', new TextEncoder().encode('ab\0c'), '6162'],
  ];
  for (const [kind, hint, bytes, want] of cases) assert.equal(formatArg(kind, hint, bytes), want, `${kind} {:${hint}}`);
  assert.equal(decodeValue('u64', b(1, 0, 0, 0, 0, 0, 0, 0)), 1n, '64-bit values are bigints');
  const bytes = decodeValue('bytes', b(1, 2)) as Uint8Array;
  assert.ok(bytes instanceof Uint8Array && bytes.buffer.byteLength === 2, 'byte arrays are copied out of the ring');
});

test('IPv6 addresses print in RFC 5952 form', () => {
  const v6 = (s: string) => {
    const g = s.split(':').map((x) => parseInt(x, 16));
    return new Uint8Array(g.flatMap((x) => [x >> 8, x & 0xff]));
  };
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'],
    ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
    ['0000:0000:0000:0000:0000:ffff:c000:0280', '::ffff:192.0.2.128'],
  ];
  for (const [full, want] of cases) {
    assert.equal(formatArg('ipv6', 'ip', v6(full)), want, full);
    assert.equal(formatArg('ipv6', '', v6(full)), want);
  }
  assert.equal(formatArg('ipv6', 'x', v6('2001:0db8:0000:0000:0000:0000:0000:0001')), '20010db8000000000000000000000001');
});

test('control characters from kernel data are escaped; text pieces keep their backslashes', () => {
  const evil = new TextEncoder().encode('a\x1b[2J\nb\\c\x07\u202e\u0085d');
  assert.equal(formatArg('str', '', evil), 'a\\x1b[2J\\nb\\\\c\\x07\\u{202e}\\x85d');
  assert.equal(formatArg('str', '', b(0x66, 0xff, 0x1b, 0x6f)), 'f\\xff\\x1bo', 'invalid UTF-8: bytes escaped');
  assert.equal(formatArg('str', '', new TextEncoder().encode('héllo ☃')), 'héllo ☃', 'valid UTF-8 stays');
  assert.equal(escapeControl('tab\there \\ CR\r'), 'tab\\there \\ CR\\r');
  const s = site(0, 'name={} path=C:\\dir', ['char[16]']);
  // A hostile object cannot smuggle escapes through its format text either.
  s.site.text[0] = 'x\x1b]0;title\x07';
  const r = new LogDecoder(meta([s.site])).decode(s.record([new TextEncoder().encode('\r\x1b[31mred')]), T);
  assert.equal(r.message, 'x\\x1b]0;title\\x07\\r\\x1b[31mred path=C:\\dir');
  assert.doesNotMatch(formatLine({ ...r, target: 't\x1b' }), /[\x00-\x1f\x7f]/);
  assert.equal(r.args[0], '\r\x1b[31mred', 'structured values keep the raw text');
});

test('records that do not match the table become warnings, not exceptions', () => {
  const s = site(5, 'v={}', ['u64']);
  const d = new LogDecoder(meta([s.site]));
  const short = d.decode(s.record([1n]).subarray(0, 10), T);
  assert.equal(short.level, 'warn');
  assert.equal(short.target, 'tsbpf');
  assert.equal(short.id, undefined);
  assert.match(short.message, /site 5 \(x\.bpf\.ts:45\) has 10 bytes, expected 16/);
  assert.match(d.decode(b(9, 0, 0, 0), T).message, /site id 9 is not in this object's log table \(4 bytes\)/);
  assert.match(d.decode(b(1, 2), T).message, /2 bytes, shorter than a site id/);
  assert.equal(d.decode(new Uint8Array([5, 0, 0, 0, ...new Array(12).fill(0), 99, 99]), T).message, 'v=0', 'extra bytes (ring padding) are ignored');
  const big = site(1_000_000, 'big id', []);
  assert.equal(new LogDecoder(meta([big.site])).decode(big.record([]), T).message, 'big id');
});

test('loss reports and JSON lines', () => {
  const l = lostNotice(T, 12);
  assert.equal(formatLine(l), '[2024-06-08T04:24:21Z WARN  tsbpf] 12 log records lost (the ring buffer was full)');
  assert.equal(lostNotice(T, 1).message, '1 log record lost (the ring buffer was full)');
  assert.equal(formatJson(l), '{"time":"2024-06-08T04:24:21.678Z","level":"warn","target":"tsbpf","message":"12 log records lost (the ring buffer was full)","args":[],"file":"","line":0,"lost":12}');
  const r: LogRecord = { time: T, level: 'info', target: 'hello_world', message: 'm "q"\\x1b', args: [1, 2n ** 64n - 1n, -3n, true, '10.0.0.1', b(1, 255), 'a\nb'], file: 'h.bpf.ts', line: 7, id: 2 };
  const line = formatJson(r);
  assert.equal(line, '{"time":"2024-06-08T04:24:21.678Z","level":"info","target":"hello_world","message":"m \\"q\\"\\\\x1b","args":[1,18446744073709551615,-3,true,"10.0.0.1","01ff","a\\nb"],"file":"h.bpf.ts","line":7,"id":2}');
  assert.equal(JSON.parse(line).args[2], -3);
  assert.doesNotMatch(line, /\n/);
});

test('handing records to loggers: pino-style (object, message) and console', () => {
  const calls: [string, object, string][] = [];
  const pino = {
    error: (o: object, m: string) => calls.push(['error', o, m]), warn: (o: object, m: string) => calls.push(['warn', o, m]),
    info: (o: object, m: string) => calls.push(['info', o, m]), debug: (o: object, m: string) => calls.push(['debug', o, m]),
  };
  const send = toLogger(pino);
  const r: LogRecord = { time: T, level: 'info', target: 'hello_world', message: 'port 53', args: [53, 2n ** 63n], file: 'h.bpf.ts', line: 7, id: 0 };
  send(r);
  send({ ...r, level: 'trace' });
  send(lostNotice(T, 3));
  assert.deepEqual(calls, [
    ['info', { target: 'hello_world', file: 'h.bpf.ts', line: 7, args: [53, '9223372036854775808'] }, 'port 53'],
    ['debug', { target: 'hello_world', file: 'h.bpf.ts', line: 7, args: [53, '9223372036854775808'] }, 'port 53'],
    ['warn', { target: 'tsbpf', file: '', line: 0, args: [], lost: 3 }, '3 log records lost (the ring buffer was full)'],
  ]);
  const orig = console.info;
  const seen: unknown[] = [];
  console.info = (...a: unknown[]) => void seen.push(a);
  try {
    toLogger(console)(r);
  } finally {
    console.info = orig;
  }
  assert.deepEqual(seen, [['[2024-06-08T04:24:21Z INFO  hello_world] port 53']]);
});

test('random records against a table with every kind: always a record, never a control character in the line', () => {
  const sites = [
    site(0, 'a={} b={:x} c={:X} d={}', ['u8', 'i16', 'u32', 'i64']),
    site(1, '{:ip} {:ip} {:mac} {}', ['be32', 'u8[16]', 'u8[6]', 'bool']),
    site(2, '{} {:x} {}', ['u8[5]', 'u8[3]', 'char[12]']),
    site(3, 'q"\\{}"\t{:X}', ['char[8]', 'i16']),
  ];
  const d = new LogDecoder(meta(sites.map((s) => s.site)));
  let seed = 1;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  for (let i = 0; i < 20000; i++) {
    const rec = Uint8Array.from({ length: rnd(48) }, () => rnd(256));
    if (rec.length >= 4 && rnd(4) > 0) rec.set([rnd(4), 0, 0, 0]);
    if (rec.length >= 7 && rec[0] === 3 && rnd(2)) rec.set([0x22, 0x5c, 0x1b], 4); // ", \\, ESC in the text
    const r = d.decode(rec, T);
    assert.equal(typeof r.message, 'string');
    assert.doesNotMatch(formatLine(r), /[\x00-\x1f\x7f-\x9f\u202a-\u202e]/, JSON.stringify([...rec]));
    JSON.parse(formatJson(r));
    // The reader's lazy records (LogEntry, formatted from their words) print the same text and JSON.
    const e = d.read(new DataView(rec.buffer), rec, 0, rec.length, T.getTime());
    assert.equal(formatLine(e), formatLine(r));
    assert.equal(formatJson(e), formatJson(r), JSON.stringify([...rec]));
    assert.deepEqual(e.args, r.args);
  }
});

test('integers print exactly on every path (int32 fast path, 9-digit halves, BigInt above 2^53)', () => {
  const le = (v: bigint, size: number) => Uint8Array.from({ length: size }, (_, i) => Number((BigInt.asUintN(8 * size, v) >> BigInt(8 * i)) & 0xffn));
  const edges = [0n, 1n, 9n, 10n, 999_999_999n, 1_000_000_000n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 10n ** 15n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 4);
  const randoms = Array.from({ length: 2000 }, () => (BigInt(rnd()) << 40n) ^ (BigInt(rnd()) << 20n) ^ BigInt(rnd()) ^ (BigInt(rnd() & 3) << 62n));
  for (const v of [...edges, ...randoms, ...randoms.map((x) => x >> BigInt(rnd() % 60))]) {
    const u = BigInt.asUintN(64, v), s = BigInt.asIntN(64, v);
    assert.equal(formatArg('u64', '', le(v, 8)), u.toString(), `u64 ${u}`);
    assert.equal(formatArg('i64', '', le(v, 8)), s.toString(), `i64 ${s}`);
    assert.equal(formatArg('u64', 'x', le(v, 8)), u.toString(16));
    assert.equal(formatArg('i64', 'X', le(v, 8)), u.toString(16).toUpperCase());
    assert.equal(decodeValue('u64', le(v, 8)), u);
    assert.equal(decodeValue('i64', le(v, 8)), s);
    const u32 = BigInt.asUintN(32, v), i32 = BigInt.asIntN(32, v);
    assert.equal(formatArg('u32', '', le(v, 4)), u32.toString());
    assert.equal(formatArg('i32', '', le(v, 4)), i32.toString());
    assert.equal(formatArg('i32', 'x', le(v, 4)), u32.toString(16));
    assert.equal(decodeValue('u32', le(v, 4)), Number(u32));
  }
});

test('line prefixes are cached per second, target, level and colour without mixing them up', () => {
  const base: LogRecord = { time: T, level: 'info', target: 'a', message: 'm', args: [], file: '', line: 0 };
  const lines = [];
  for (const time of [T, new Date(T.getTime() + 1), new Date(T.getTime() + 1000), T]) {
    for (const target of ['a', 'b\x1b']) {
      for (const level of ['error', 'info'] as const) {
        for (const color of [false, true]) lines.push(formatLine({ ...base, time, target, level }, { color }).replace(/\x1b\[[0-9;]*m/g, ''));
      }
    }
  }
  const want = (sec: string, t: string, l: string) => `[2024-06-08T04:24:${sec}Z ${l} ${t}] m`;
  const expect = [];
  for (const sec of ['21', '21', '22', '21']) {
    for (const t of ['a', 'b\\x1b']) for (const l of ['ERROR', 'INFO ']) expect.push(want(sec, t, l), want(sec, t, l));
  }
  assert.deepEqual(lines, expect);
});
