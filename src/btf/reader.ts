/**
 * .BTF section decoder: header, type records, string table. Every record length, string offset
 * and type reference is checked, and reference loops that would make a type's size infinite are
 * rejected, so the query helpers in btf.ts can walk types without further guards.
 */
import { StringTable } from '../elf/strings.js';
import { Btf } from './btf.js';
import { BtfError } from './error.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_TYPE_SIZE, KIND_NAMES, type BtfMember, type BtfType, type BtfTypeBody } from './types.js';
import { checkTypes } from './validate.js';

export interface ParseBtfOptions {
  /** Section name for messages (default '.BTF'). */
  section?: string;
  /** File offset of the section, so messages can name file offsets too. */
  fileOffset?: number;
}

/** Describes a position in the section for an error message. */
export function locate(off: number, o: ParseBtfOptions, fallback = '.BTF'): string {
  const sec = o.section ?? fallback;
  const file = o.fileOffset !== undefined ? ` (file offset 0x${(o.fileOffset + off).toString(16)})` : '';
  return `${sec}+0x${off.toString(16)}${file}`;
}

/** Parses a .BTF section. Throws BtfError on malformed data. */
export function parseBtf(bytes: Uint8Array, options: ParseBtfOptions = {}): Btf {
  const at = (off: number): string => locate(off, options);
  if (bytes.length < BTF_HEADER_SIZE) {
    throw new BtfError(`${at(0)}: BTF header needs ${BTF_HEADER_SIZE} bytes but the section has ${bytes.length}`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint16(0, true);
  if (magic !== BTF_MAGIC) {
    const be = magic === 0x9feb ? ' (big-endian BTF; tsbpf reads little-endian objects)' : '';
    throw new BtfError(`${at(0)}: bad BTF magic 0x${magic.toString(16)}, expected 0xeb9f${be}`);
  }
  const version = bytes[2]!;
  if (version !== 1) throw new BtfError(`${at(2)}: unsupported BTF version ${version} (expected 1)`);
  const hdrLen = v.getUint32(4, true);
  if (hdrLen < BTF_HEADER_SIZE || hdrLen > bytes.length) {
    throw new BtfError(`${at(4)}: BTF hdr_len ${hdrLen} is outside ${BTF_HEADER_SIZE}..${bytes.length} (the section size)`);
  }
  const typeOff = v.getUint32(8, true), typeLen = v.getUint32(12, true);
  const strOff = v.getUint32(16, true), strLen = v.getUint32(20, true);
  const body = bytes.length - hdrLen;
  if (typeOff + typeLen > body) throw new BtfError(`${at(8)}: type section (type_off ${typeOff}, type_len ${typeLen}) extends past the end of the BTF data (${body} bytes after the header)`);
  if (strOff + strLen > body) throw new BtfError(`${at(16)}: string section (str_off ${strOff}, str_len ${strLen}) extends past the end of the BTF data (${body} bytes after the header)`);
  if (typeOff % 4 !== 0) throw new BtfError(`${at(8)}: type_off ${typeOff} is not 4-byte aligned`);
  if (typeLen % 4 !== 0) throw new BtfError(`${at(12)}: type_len ${typeLen} is not a multiple of 4`);
  const strStart = hdrLen + strOff;
  if (strLen > 0 && (bytes[strStart] !== 0 || bytes[strStart + strLen - 1] !== 0)) {
    throw new BtfError(`${at(strStart)}: the string section must start and end with a NUL byte`);
  }
  const strings = new StringTable(bytes.subarray(strStart, strStart + strLen), (off, why) => {
    throw new BtfError(`${at(strStart + Math.max(0, Math.min(off, strLen)))}: ${why}`);
  });

  const types: BtfType[] = [];
  const start = hdrLen + typeOff;
  const end = start + typeLen;
  let p = start;
  while (p < end) {
    if (p + BTF_TYPE_SIZE > end) throw new BtfError(`${at(p)}: type record [${types.length + 1}] is cut off by the end of the type section`);
    const id = types.length + 1;
    const name = (off: number, what: string): string => {
      if (off >= strLen && !(off === 0 && strLen === 0)) throw new BtfError(`${at(p)}: type [${id}] ${what} name offset ${off} is outside the string section (size ${strLen})`);
      return strLen === 0 ? '' : strings.get(off);
    };
    const info = v.getUint32(p + 4, true);
    if ((info & ~0x9f00ffff) !== 0) throw new BtfError(`${at(p + 4)}: type [${id}] has reserved bits set in info 0x${(info >>> 0).toString(16)}`);
    const kindNo = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const kind = KIND_NAMES[kindNo];
    if (kindNo === 0 || kind === undefined) throw new BtfError(`${at(p + 4)}: type [${id}] has unknown kind ${kindNo}`);
    const extra = extraSize(kindNo, vlen);
    if (p + BTF_TYPE_SIZE + extra > end) {
      throw new BtfError(`${at(p)}: type [${id}] ${kind} with vlen ${vlen} needs ${BTF_TYPE_SIZE + extra} bytes, beyond the end of the type section (${at(end)})`);
    }
    const nm = name(v.getUint32(p, true), kind);
    const sizeOrType = v.getUint32(p + 8, true);
    const q = p + BTF_TYPE_SIZE;
    const noVlen = (): void => {
      if (vlen !== 0) throw new BtfError(`${at(p + 4)}: type [${id}] ${kind} '${nm}' must have vlen 0, has ${vlen}`);
    };
    const noFlag = (): void => {
      if (kflag) throw new BtfError(`${at(p + 4)}: type [${id}] ${kind} '${nm}' must not set kind_flag`);
    };
    let t: BtfTypeBody;
    switch (kind) {
      case 'INT': {
        noVlen(); noFlag();
        const x = v.getUint32(q, true);
        const encoding = (x >>> 24) & 0xf, bitOffset = (x >>> 16) & 0xff, bits = x & 0xff;
        if ((x & 0xf0000000) !== 0 || (x & 0x0000ff00) !== 0) throw new BtfError(`${at(q)}: type [${id}] INT '${nm}' has reserved bits set`);
        if (![1, 2, 4, 8, 16].includes(sizeOrType)) throw new BtfError(`${at(p + 8)}: type [${id}] INT '${nm}' has size ${sizeOrType} (expected 1, 2, 4, 8 or 16)`);
        if (bits === 0 || bits > 128 || bitOffset + bits > sizeOrType * 8) throw new BtfError(`${at(q)}: type [${id}] INT '${nm}' bits ${bits} at bit offset ${bitOffset} do not fit in ${sizeOrType} bytes`);
        if (encoding !== 0 && encoding !== 1 && encoding !== 2 && encoding !== 4) throw new BtfError(`${at(q)}: type [${id}] INT '${nm}' has invalid encoding ${encoding}`);
        t = { kind, name: nm, size: sizeOrType, bits, bitOffset, encoding };
        break;
      }
      case 'PTR': case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG':
        noVlen();
        // Since Linux 6.14 a TYPE_TAG (and DECL_TAG) may set kind_flag: the tag is an __attribute__.
        if (kind !== 'TYPE_TAG') noFlag();
        t = kind === 'TYPE_TAG' && kflag ? { kind, name: nm, type: sizeOrType, attribute: true } : { kind, name: nm, type: sizeOrType };
        break;
      case 'ARRAY':
        noVlen(); noFlag();
        t = { kind, name: nm, type: v.getUint32(q, true), indexType: v.getUint32(q + 4, true), nelems: v.getUint32(q + 8, true) };
        break;
      case 'STRUCT': case 'UNION': {
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++) {
          const m = q + i * 12;
          const off = v.getUint32(m + 8, true);
          members.push({
            name: name(v.getUint32(m, true), `${kind} member ${i}`), type: v.getUint32(m + 4, true),
            bitOffset: kflag ? off & 0xffffff : off, bitSize: kflag ? off >>> 24 : 0,
          });
        }
        t = { kind, name: nm, size: sizeOrType, members, bitfields: kflag };
        break;
      }
      case 'ENUM': {
        if (![1, 2, 4, 8].includes(sizeOrType)) throw new BtfError(`${at(p + 8)}: type [${id}] ENUM '${nm}' has size ${sizeOrType} (expected 1, 2, 4 or 8)`);
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const m = q + i * 8;
          values.push({ name: name(v.getUint32(m, true), `ENUM value ${i}`), value: kflag ? v.getInt32(m + 4, true) : v.getUint32(m + 4, true) });
        }
        t = { kind, name: nm, size: sizeOrType, signed: kflag, values };
        break;
      }
      case 'ENUM64': {
        if (![1, 2, 4, 8].includes(sizeOrType)) throw new BtfError(`${at(p + 8)}: type [${id}] ENUM64 '${nm}' has size ${sizeOrType} (expected 1, 2, 4 or 8)`);
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const m = q + i * 12;
          const raw = (BigInt(v.getUint32(m + 8, true)) << 32n) | BigInt(v.getUint32(m + 4, true));
          values.push({ name: name(v.getUint32(m, true), `ENUM64 value ${i}`), value: kflag ? BigInt.asIntN(64, raw) : raw });
        }
        t = { kind, name: nm, size: sizeOrType, signed: kflag, values };
        break;
      }
      case 'FWD':
        noVlen();
        t = { kind, name: nm, union: kflag };
        break;
      case 'FUNC':
        noFlag();
        if (vlen > 2) throw new BtfError(`${at(p + 4)}: type [${id}] FUNC '${nm}' has invalid linkage ${vlen}`);
        t = { kind, name: nm, type: sizeOrType, linkage: vlen };
        break;
      case 'FUNC_PROTO': {
        noFlag();
        const params = [];
        for (let i = 0; i < vlen; i++) {
          const m = q + i * 8;
          params.push({ name: name(v.getUint32(m, true), `FUNC_PROTO parameter ${i}`), type: v.getUint32(m + 4, true) });
        }
        t = { kind, name: nm, returnType: sizeOrType, params };
        break;
      }
      case 'VAR': {
        noVlen(); noFlag();
        const linkage = v.getUint32(q, true);
        if (linkage > 2) throw new BtfError(`${at(q)}: type [${id}] VAR '${nm}' has invalid linkage ${linkage}`);
        t = { kind, name: nm, type: sizeOrType, linkage };
        break;
      }
      case 'DATASEC': {
        noFlag();
        const vars = [];
        for (let i = 0; i < vlen; i++) {
          const m = q + i * 12;
          vars.push({ type: v.getUint32(m, true), offset: v.getUint32(m + 4, true), size: v.getUint32(m + 8, true) });
        }
        t = { kind, name: nm, size: sizeOrType, vars };
        break;
      }
      case 'FLOAT':
        noVlen(); noFlag();
        if (![2, 4, 8, 12, 16].includes(sizeOrType)) throw new BtfError(`${at(p + 8)}: type [${id}] FLOAT '${nm}' has size ${sizeOrType} (expected 2, 4, 8, 12 or 16)`);
        t = { kind, name: nm, size: sizeOrType };
        break;
      case 'DECL_TAG':
        noVlen();
        t = { kind, name: nm, type: sizeOrType, componentIdx: v.getInt32(q, true), ...(kflag ? { attribute: true } : {}) };
        break;
      default:
        throw new BtfError(`${at(p + 4)}: type [${id}] has unknown kind ${kindNo}`);
    }
    types.push({ ...t, id, offset: p } as BtfType);
    p = q + extra;
  }
  checkTypes(types, (t, why) => new BtfError(`${at(t.offset)}: type [${t.id}] ${t.kind}${t.name ? ` '${t.name}'` : ''}: ${why}`));
  return new Btf(bytes, types, strings, { hdrLen, typeOff, typeLen, strOff, strLen, flags: bytes[3]! });
}

/** Bytes that follow the 12-byte common record for a kind. */
function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case 1: return 4; // INT
    case 3: return 12; // ARRAY
    case 4: case 5: return vlen * 12; // STRUCT, UNION
    case 6: return vlen * 8; // ENUM
    case 13: return vlen * 8; // FUNC_PROTO
    case 14: return 4; // VAR
    case 15: return vlen * 12; // DATASEC
    case 17: return 4; // DECL_TAG
    case 19: return vlen * 12; // ENUM64
    default: return 0;
  }
}
