/**
 * .BTF.ext: per-section func_info, line_info and CO-RE relocation records (layout: libbpf's
 * documented format, Documentation/bpf/btf.rst). Strings live in the .BTF string section.
 * In ELF objects `insnOff` is a byte offset into the section (the kernel wants instruction
 * indexes; the loader divides by 8).
 */
import type { Btf } from './btf.js';
import type { BtfBuilder } from './builder.js';
import { BtfError } from './error.js';
import { locate, type ParseBtfOptions } from './reader.js';

export interface FuncInfo { insnOff: number; typeId: number }
export interface LineInfo {
  insnOff: number; fileName: string; line: string; lineNum: number; column: number;
  /** String offsets in .BTF as read (absent on records built for encoding). */
  fileNameOff?: number; lineOff?: number;
}
export interface CoreRelo { insnOff: number; typeId: number; accessStr: string; accessStrOff: number; kind: number }
export interface ExtSection<R> { section: string; records: R[] }

export interface BtfExt {
  funcInfo: ExtSection<FuncInfo>[];
  lineInfo: ExtSection<LineInfo>[];
  coreRelo: ExtSection<CoreRelo>[];
  funcInfoRecSize: number;
  lineInfoRecSize: number;
  coreReloRecSize: number;
}

export const CORE_RELO_KINDS = [
  'byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id',
  'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
] as const;

const EXT_MAGIC = 0xeb9f;

/** Parses a .BTF.ext section against its .BTF (for strings). Throws BtfError on malformed data. */
export function parseBtfExt(bytes: Uint8Array, btf: Btf, options: ParseBtfOptions = {}): BtfExt {
  const at = (off: number): string => locate(off, options, '.BTF.ext');
  if (bytes.length < 8) throw new BtfError(`${at(0)}: BTF.ext header needs at least 8 bytes but the section has ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint16(0, true);
  if (magic !== EXT_MAGIC) throw new BtfError(`${at(0)}: bad BTF.ext magic 0x${magic.toString(16)}, expected 0xeb9f`);
  if (bytes[2] !== 1) throw new BtfError(`${at(2)}: unsupported BTF.ext version ${bytes[2]} (expected 1)`);
  const hdrLen = v.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > bytes.length || hdrLen % 4 !== 0) {
    throw new BtfError(`${at(4)}: BTF.ext hdr_len ${hdrLen} is invalid (must be 24..${bytes.length} and a multiple of 4)`);
  }
  const str = (off: number, where: number, what: string): string => {
    if (off >= btf.header.strLen) throw new BtfError(`${at(where)}: ${what} string offset ${off} is outside the .BTF string section (size ${btf.header.strLen})`);
    return btf.string(off);
  };
  const sub = <R>(hdrField: number, name: string, minRec: number, read: (p: number) => R): { list: ExtSection<R>[]; recSize: number } => {
    if (hdrField + 8 > hdrLen) return { list: [], recSize: 0 };
    const off = v.getUint32(hdrField, true), len = v.getUint32(hdrField + 4, true);
    if (len === 0) return { list: [], recSize: 0 };
    const start = hdrLen + off, end = start + len;
    if (end > bytes.length) throw new BtfError(`${at(hdrField)}: ${name} (offset ${off}, length ${len}) extends past the end of the section`);
    if (len < 4) throw new BtfError(`${at(start)}: ${name} is too short for its record size`);
    const recSize = v.getUint32(start, true);
    if (recSize < minRec || recSize % 4 !== 0 || recSize > len) throw new BtfError(`${at(start)}: ${name} record size ${recSize} is invalid (minimum ${minRec}, multiple of 4)`);
    const list: ExtSection<R>[] = [];
    let p = start + 4;
    while (p < end) {
      if (p + 8 > end) throw new BtfError(`${at(p)}: ${name} section header is cut off`);
      const section = str(v.getUint32(p, true), p, `${name} section name`);
      const n = v.getUint32(p + 4, true);
      if (n === 0) throw new BtfError(`${at(p + 4)}: ${name} for section '${section}' has zero records`);
      if (n > (end - p - 8) / recSize) throw new BtfError(`${at(p + 4)}: ${name} for section '${section}' claims ${n} records of ${recSize} bytes, beyond the end of the subsection`);
      const records: R[] = [];
      for (let i = 0; i < n; i++) records.push(read(p + 8 + i * recSize));
      list.push({ section, records });
      p += 8 + n * recSize;
    }
    return { list, recSize };
  };
  const func = sub(8, 'func_info', 8, (p) => ({ insnOff: v.getUint32(p, true), typeId: checkId(btf, v.getUint32(p + 4, true), at(p + 4)) }));
  const line = sub(16, 'line_info', 16, (p) => {
    const lc = v.getUint32(p + 12, true);
    const fileNameOff = v.getUint32(p + 4, true), lineOff = v.getUint32(p + 8, true);
    return { insnOff: v.getUint32(p, true), fileName: str(fileNameOff, p + 4, 'line_info file name'), line: str(lineOff, p + 8, 'line_info line'), lineNum: lc >>> 10, column: lc & 0x3ff, fileNameOff, lineOff };
  });
  const core = sub(24, 'core_relo', 16, (p) => {
    const kind = v.getUint32(p + 12, true);
    if (kind >= CORE_RELO_KINDS.length) throw new BtfError(`${at(p + 12)}: core_relo kind ${kind} is unknown`);
    return { insnOff: v.getUint32(p, true), typeId: checkId(btf, v.getUint32(p + 4, true), at(p + 4)), accessStr: str(v.getUint32(p + 8, true), p + 8, 'core_relo access'), accessStrOff: v.getUint32(p + 8, true), kind };
  });
  return { funcInfo: func.list, lineInfo: line.list, coreRelo: core.list, funcInfoRecSize: func.recSize, lineInfoRecSize: line.recSize, coreReloRecSize: core.recSize };
}

function checkId(btf: Btf, id: number, where: string): number {
  if (id >= btf.count) throw new BtfError(`${where}: type id ${id} does not exist in .BTF (last id is ${btf.count - 1})`);
  return id;
}

/**
 * Encodes func_info and line_info as a .BTF.ext section. Strings (section and file names, source
 * lines) are added to `strings`, the builder of the matching .BTF — encode that afterwards.
 */
export function encodeBtfExt(ext: { funcInfo: ExtSection<FuncInfo>[]; lineInfo: ExtSection<LineInfo>[] }, strings: BtfBuilder): Uint8Array {
  const words: number[] = [];
  const funcStart = 0;
  if (ext.funcInfo.length > 0) {
    words.push(8);
    for (const s of ext.funcInfo) {
      words.push(strings.addString(s.section), s.records.length);
      for (const r of s.records) words.push(r.insnOff, r.typeId);
    }
  }
  const funcLen = words.length * 4;
  if (ext.lineInfo.length > 0) {
    words.push(16);
    for (const s of ext.lineInfo) {
      words.push(strings.addString(s.section), s.records.length);
      for (const r of s.records) {
        if (r.column > 0x3ff || r.lineNum > 0x3fffff) throw new BtfError(`line_info: line ${r.lineNum} column ${r.column} does not fit the encoding`);
        words.push(r.insnOff, strings.addString(r.fileName), strings.addString(r.line), ((r.lineNum << 10) | r.column) >>> 0);
      }
    }
  }
  const lineLen = words.length * 4 - funcLen;
  const hdrLen = 32;
  const out = new Uint8Array(hdrLen + words.length * 4);
  const v = new DataView(out.buffer);
  v.setUint16(0, EXT_MAGIC, true);
  out[2] = 1;
  v.setUint32(4, hdrLen, true);
  v.setUint32(8, funcStart, true);
  v.setUint32(12, funcLen, true);
  v.setUint32(16, funcLen, true);
  v.setUint32(20, lineLen, true);
  v.setUint32(24, funcLen + lineLen, true);
  v.setUint32(28, 0, true);
  words.forEach((w, i) => v.setUint32(hdrLen + i * 4, w >>> 0, true));
  return out;
}
