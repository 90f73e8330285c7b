/**
 * Log metadata of an object (issue 5; the ABI is described in docs/architecture.md, "log"):
 * every log call site's level, target, source position, format pieces and argument layout,
 * stored once in the non-allocated section `.tsbpf.log` as versioned UTF-8 JSON. Records in the
 * ring buffer carry only a call-site id and the argument bytes; this table gives them meaning.
 *
 * This file is pure (no syscalls): parse and validate the table, encode it, and append it to an
 * emitted object. src/log builds on it; the compiler writes it.
 */
import * as E from '../elf/constants.js';
import { hex } from '../elf/error.js';
import { readElf } from '../elf/reader.js';
import type { ElfFile } from '../elf/types.js';
import { ObjectError } from './error.js';

export const LOG_META_SECTION = '.tsbpf.log';
export const LOG_META_VERSION = 1;
/** The largest record a call site may describe: it is built on the 512-byte BPF stack. */
export const LOG_MAX_RECORD = 256;

/** Levels as in Rust's `log`: a call at level L is emitted when the target's setting is ≥ L. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
/** 1 (error) … 5 (trace); 0 in a level setting means off. */
export const levelNumber = (l: LogLevelName): number => LOG_LEVELS.indexOf(l) + 1;

/** Argument kinds and their bytes in a record (`bytes`/`str` have a per-site size). */
export const LOG_KINDS = {
  u8: { size: 1, align: 1 }, u16: { size: 2, align: 2 }, u32: { size: 4, align: 4 }, u64: { size: 8, align: 8 },
  i8: { size: 1, align: 1 }, i16: { size: 2, align: 2 }, i32: { size: 4, align: 4 }, i64: { size: 8, align: 8 },
  bool: { size: 1, align: 1 },
  /** 4 address bytes in network order (a be32 stored as is). */
  ipv4: { size: 4, align: 4 },
  /** 16 address bytes in network order. */
  ipv6: { size: 16, align: 8 },
  /** 6 bytes. */
  mac: { size: 6, align: 2 },
  /** N raw bytes (1 ≤ N ≤ 240). */
  bytes: { size: 0, align: 1 },
  /** N bytes of text, up to the first NUL (a `char[N]` such as a task's comm). */
  str: { size: 0, align: 1 },
} as const;
export type LogKind = keyof typeof LOG_KINDS;

/** Display hints: `{}` is '', then `{:x}` `{:X}` `{:ip}` `{:mac}`. */
export const LOG_HINTS = ['', 'x', 'X', 'ip', 'mac'] as const;
export type LogHint = (typeof LOG_HINTS)[number];

const INT_KINDS = new Set<LogKind>(['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64']);

/** Which hints a kind takes (the compiler checks this at build time; the reader again at load). */
export function hintAllowed(kind: LogKind, hint: LogHint): boolean {
  if (hint === '') return true;
  if (kind === 'bool') return false;
  if (hint === 'x' || hint === 'X') return true;
  if (hint === 'ip') return kind === 'ipv4' || kind === 'ipv6';
  return kind === 'mac';
}
export const isIntKind = (k: LogKind): boolean => INT_KINDS.has(k);

export interface LogArg {
  kind: LogKind;
  hint: LogHint;
  /** Byte offset in the record (≥ 4: the id comes first), a multiple of the kind's alignment. */
  offset: number;
  /** Bytes in the record: the kind's size, or N for `bytes`/`str`. */
  size: number;
}

/** One log call site. */
export interface LogSite {
  /** The u32 at offset 0 of its records; unique in the object, < 2^31 (stored by a sign-extending ST). */
  id: number;
  level: LogLevelName;
  /** Index into `LogMeta.targets`. */
  target: number;
  file: string;
  line: number;
  column: number;
  /** Record length in bytes: 4 (id) up to the end of the last argument. */
  size: number;
  /** Literal pieces around the holes: `args.length + 1` strings (`{{`/`}}` already unescaped). */
  text: string[];
  args: LogArg[];
}

export interface LogMeta {
  version: 1;
  /** BTF-defined BPF_MAP_TYPE_RINGBUF map the records go to. */
  ringbuf: string;
  /** `.rodata` variable `u32[targets.length]`: the level setting per target (0 off … 5 trace). */
  levels: string;
  /** `.bss` variable `u64`: records the kernel side failed to write (ring full). */
  lost: string;
  /** Target names (the program, as in `[… INFO  hello_world]`); sites refer to them by index. */
  targets: string[];
  sites: LogSite[];
}

const fail = (where: string, what: string): never => {
  throw new ObjectError(`section '${LOG_META_SECTION}': ${where}${what}`);
};

const isStr = (v: unknown): v is string => typeof v === 'string';
const isUint = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
const symbolName = (v: unknown): boolean => isStr(v) && /^[A-Za-z_][A-Za-z0-9_.]{0,127}$/.test(v);

/** Checks a decoded table and returns it typed; every problem is an ObjectError naming the field. */
export function validateLogMeta(raw: unknown): LogMeta {
  const o = raw as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('', 'is not a JSON object');
  if (o.version !== LOG_META_VERSION) {
    fail('', `version ${JSON.stringify(o.version)} is not supported (this tsbpf reads version ${LOG_META_VERSION})${typeof o.version === 'number' && o.version > LOG_META_VERSION ? '; the object was built by a newer tsbpf' : ''}`);
  }
  for (const k of ['ringbuf', 'levels', 'lost'] as const) if (!symbolName(o[k])) fail(`${k}: `, `${JSON.stringify(o[k])} is not a symbol name`);
  if (!Array.isArray(o.targets) || o.targets.length === 0 || o.targets.length > 4096) fail('targets: ', 'must be a list of 1 to 4096 names');
  const targets = o.targets as unknown[];
  targets.forEach((t, i) => { if (!isStr(t) || t.length === 0 || t.length > 256) fail(`targets[${i}]: `, 'is not a name of 1 to 256 characters'); });
  if (new Set(targets).size !== targets.length) fail('targets: ', 'has duplicates');
  if (!Array.isArray(o.sites) || o.sites.length > 1_000_000) fail('sites: ', 'must be a list (at most 1,000,000)');
  const ids = new Set<number>();
  const sites = (o.sites as unknown[]).map((s, i) => validateSite(s, `sites[${i}]`, targets.length, ids));
  return { version: 1, ringbuf: o.ringbuf as string, levels: o.levels as string, lost: o.lost as string, targets: targets as string[], sites };
}

function validateSite(raw: unknown, at: string, ntargets: number, ids: Set<number>): LogSite {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`${at}: `, 'is not an object');
  const s = raw as Record<string, unknown>;
  if (!isUint(s.id, 0x7fffffff)) fail(`${at}.id: `, `${JSON.stringify(s.id)} is not an integer in 0..2^31-1`);
  if (ids.has(s.id as number)) fail(`${at}.id: `, `${s.id} is used by two sites`);
  ids.add(s.id as number);
  if (!(LOG_LEVELS as readonly unknown[]).includes(s.level)) fail(`${at}.level: `, `${JSON.stringify(s.level)} is not one of ${LOG_LEVELS.join(', ')}`);
  if (!isUint(s.target, ntargets - 1)) fail(`${at}.target: `, `${JSON.stringify(s.target)} is not an index into targets (0..${ntargets - 1})`);
  if (!isStr(s.file) || s.file.length > 4096) fail(`${at}.file: `, 'is not a file name');
  if (!isUint(s.line, 0xffffffff) || !isUint(s.column, 0xffffffff)) fail(`${at}: `, 'line and column must be non-negative integers');
  if (!isUint(s.size, LOG_MAX_RECORD) || (s.size as number) < 4) fail(`${at}.size: `, `${JSON.stringify(s.size)} is not a record size in 4..${LOG_MAX_RECORD}`);
  const size = s.size as number;
  if (!Array.isArray(s.args) || s.args.length > 64) fail(`${at}.args: `, 'must be a list of at most 64 arguments');
  const args = (s.args as unknown[]).map((a, j) => validateArg(a, `${at}.args[${j}]`, size));
  if (!Array.isArray(s.text) || s.text.length !== args.length + 1 || !s.text.every((t) => isStr(t) && t.length <= 4096)) {
    fail(`${at}.text: `, `must be ${args.length + 1} strings (one more than the arguments)`);
  }
  // Bytes 0..4 hold the id; arguments must not overlap it or each other.
  const spans = args.map((a) => [a.offset, a.offset + a.size] as const).sort((x, y) => x[0] - y[0]);
  let end = 4;
  for (const [from, to] of spans) {
    if (from < end) fail(`${at}.args: `, `argument bytes ${from}..${to} overlap the id or another argument`);
    end = to;
  }
  return { id: s.id as number, level: s.level as LogLevelName, target: s.target as number, file: s.file as string, line: s.line as number, column: s.column as number, size, text: s.text as string[], args };
}

function validateArg(raw: unknown, at: string, recordSize: number): LogArg {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`${at}: `, 'is not an object');
  const a = raw as Record<string, unknown>;
  if (!isStr(a.kind) || !Object.hasOwn(LOG_KINDS, a.kind)) fail(`${at}.kind: `, `${JSON.stringify(a.kind)} is not one of ${Object.keys(LOG_KINDS).join(', ')}`);
  const kind = a.kind as LogKind;
  if (!(LOG_HINTS as readonly unknown[]).includes(a.hint)) fail(`${at}.hint: `, `${JSON.stringify(a.hint)} is not one of "", "x", "X", "ip", "mac"`);
  const hint = a.hint as LogHint;
  if (!hintAllowed(kind, hint)) fail(`${at}: `, `a ${kind} argument does not take the hint {:${hint}}`);
  const info = LOG_KINDS[kind];
  if (info.size ? a.size !== info.size : !isUint(a.size, LOG_MAX_RECORD - 4) || a.size === 0) {
    fail(`${at}.size: `, `${JSON.stringify(a.size)} is not ${info.size ? `${info.size} (the size of ${kind})` : `a ${kind} size in 1..${LOG_MAX_RECORD - 4}`}`);
  }
  if (!isUint(a.offset, LOG_MAX_RECORD) || (a.offset as number) % info.align !== 0) fail(`${at}.offset: `, `${JSON.stringify(a.offset)} is not a multiple of ${info.align} (${kind} alignment)`);
  if ((a.offset as number) + (a.size as number) > recordSize) fail(`${at}: `, `bytes ${a.offset}..${(a.offset as number) + (a.size as number)} are outside the ${recordSize}-byte record`);
  return { kind, hint, offset: a.offset as number, size: a.size as number };
}

/** Parses the bytes of a `.tsbpf.log` section. */
export function parseLogMeta(bytes: Uint8Array): LogMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return fail('', `is not UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return validateLogMeta(raw);
}

/** The log table of a parsed ELF, or undefined when the object does not log. */
export function readLogMeta(elf: ElfFile): LogMeta | undefined {
  const sec = elf.sections.find((s) => s.name === LOG_META_SECTION);
  if (!sec) return undefined;
  try {
    return parseLogMeta(sec.data);
  } catch (e) {
    if (e instanceof ObjectError) throw new ObjectError(`${e.message} (section at file offset ${hex(sec.offset)})`, 'rebuild the object with this version of tsbpf');
    throw e;
  }
}

/** The section's bytes (validated first, so a bad table fails at build time, not when it is read). */
export function encodeLogMeta(meta: LogMeta): Uint8Array {
  const m = validateLogMeta(JSON.parse(JSON.stringify(meta)));
  return new TextEncoder().encode(JSON.stringify(m));
}

const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);

/**
 * Appends `.tsbpf.log` to an object emitted by emitObject (or clang): the section data, a copy of
 * the section-name table with the new name, and a new section header table go at the end; the
 * rest of the file is untouched (the old name table stays as unreferenced bytes).
 */
export function addLogMeta(object: Uint8Array, meta: LogMeta): Uint8Array {
  const elf = readElf(object);
  if (elf.sections.some((s) => s.name === LOG_META_SECTION)) throw new ObjectError(`the object already has a '${LOG_META_SECTION}' section`);
  const shnum = elf.header.shnum;
  if (u16(object, 0x3c) !== shnum || shnum + 1 >= E.SHN_LORESERVE) throw new ObjectError(`cannot add '${LOG_META_SECTION}': the object has ${shnum} sections (extended numbering)`);
  const strtab = elf.sections[elf.header.shstrndx]!;
  const data = encodeLogMeta(meta);
  const nameOff = strtab.size;
  const names = new Uint8Array(strtab.size + LOG_META_SECTION.length + 1);
  names.set(strtab.data);
  names.set(new TextEncoder().encode(LOG_META_SECTION), nameOff);
  const namesAt = object.length;
  const dataAt = namesAt + names.length;
  const shoff = (dataAt + data.length + 7) & ~7;
  const out = new Uint8Array(shoff + (shnum + 1) * E.SHDR_SIZE);
  out.set(object);
  out.set(names, namesAt);
  out.set(data, dataAt);
  out.set(object.subarray(elf.header.shoff, elf.header.shoff + shnum * E.SHDR_SIZE), shoff);
  const v = new DataView(out.buffer);
  const strHdr = shoff + strtab.index * E.SHDR_SIZE;
  v.setBigUint64(strHdr + 24, BigInt(namesAt), true);
  v.setBigUint64(strHdr + 32, BigInt(names.length), true);
  const h = shoff + shnum * E.SHDR_SIZE;
  v.setUint32(h, nameOff, true);
  v.setUint32(h + 4, E.SHT_PROGBITS, true); // sh_flags 0: not loaded; libbpf skips unknown sections like it
  v.setBigUint64(h + 24, BigInt(dataAt), true);
  v.setBigUint64(h + 32, BigInt(data.length), true);
  v.setBigUint64(h + 48, 1n, true);
  v.setBigUint64(0x28, BigInt(shoff), true);
  v.setUint16(0x3c, shnum + 1, true);
  return out;
}
