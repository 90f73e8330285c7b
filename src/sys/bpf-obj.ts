/**
 * bpf(2) object commands: pin/get under bpffs, id enumeration, fd by id, OBJ_GET_INFO_BY_FD
 * (decoded into plain objects through the generated info layouts) and BTF_LOAD with its log.
 */
import { attr as A, structs as S, type StructLayout } from '../abi/attr.gen.js';
import { bpf_link_type } from '../abi/index.js';
import { attrFor, bpf, bpfError, bpfRaw, cString, type BpfCmd } from './bpf-attr.js';
import { E, SysError } from './errors.js';
import { Fd, fdNum, type FdLike } from './bpf-fd.js';
import { addressOf, pinnedBytes } from './libc.js';

/** BPF_OBJ_PIN: pins a map, program or link at `path` (inside a bpffs mount). */
export function objPin(fd: FdLike, path: string): void {
  const a = attrFor(A.obj).set('pathname', cString(path)).set('bpf_fd', fdNum(fd));
  bpf('BPF_OBJ_PIN', a, `'${path}'`, pinHint(path));
}

/** BPF_OBJ_GET: a new fd for the object pinned at `path` (file_flags BPF_F_RDONLY / BPF_F_WRONLY). */
export function objGet(path: string, fileFlags = 0): Fd {
  const a = attrFor(A.obj).set('pathname', cString(path)).set('file_flags', fileFlags);
  return new Fd(bpf('BPF_OBJ_GET', a, `'${path}'`, pinHint(path)), `pinned '${path}'`);
}

function pinHint(path: string): string | undefined {
  return path.startsWith('/sys/fs/bpf') || path.includes('bpf') ? undefined : `'${path}' must be inside a bpffs mount (e.g. /sys/fs/bpf)`;
}

export type ObjKind = 'prog' | 'map' | 'link' | 'btf';

const NEXT_ID: Record<ObjKind, BpfCmd> = {
  prog: 'BPF_PROG_GET_NEXT_ID', map: 'BPF_MAP_GET_NEXT_ID', link: 'BPF_LINK_GET_NEXT_ID', btf: 'BPF_BTF_GET_NEXT_ID',
};
const FD_BY_ID: Record<ObjKind, BpfCmd> = {
  prog: 'BPF_PROG_GET_FD_BY_ID', map: 'BPF_MAP_GET_FD_BY_ID', link: 'BPF_LINK_GET_FD_BY_ID', btf: 'BPF_BTF_GET_FD_BY_ID',
};

/** The next id after `start` of loaded objects of this kind, or undefined at the end. */
export function getNextId(kind: ObjKind, start: number): number | undefined {
  const a = attrFor(A.get_id).set('start_id', start);
  const r = bpfRaw(NEXT_ID[kind], a);
  if (r === -E.ENOENT) return undefined;
  if (r < 0) throw bpfError(NEXT_ID[kind], -r);
  return a.get('next_id');
}

/** Every id of loaded objects of this kind, ascending. */
export function allIds(kind: ObjKind): number[] {
  const ids: number[] = [];
  for (let id = getNextId(kind, 0); id !== undefined; id = getNextId(kind, id)) ids.push(id);
  return ids;
}

/** A new fd (owned by the caller) for the object with this id. */
export function getFdById(kind: ObjKind, id: number, openFlags = 0): Fd {
  const a = attrFor(A.get_id).set('start_id', id).set('open_flags', openFlags);
  return new Fd(bpf(FD_BY_ID[kind], a, `${kind} id ${id}`), `${kind} id ${id}`);
}

/** BPF_OBJ_GET_INFO_BY_FD into a zeroed buffer of `layout.size`; `prepare` may set input fields. */
export function objGetInfo(fd: FdLike, layout: StructLayout, prepare?: (info: InfoView) => void): InfoView {
  const bytes = pinnedBytes(layout.size);
  const info = new InfoView(layout, bytes);
  prepare?.(info);
  const a = attrFor(A.info).set('bpf_fd', fdNum(fd)).set('info_len', layout.size).set('info', addressOf(bytes));
  bpf('BPF_OBJ_GET_INFO_BY_FD', a, typeof fd === 'number' ? `fd ${fd}` : fd.what);
  return info;
}

/** Reads (and writes input) fields of an info struct by name. */
export class InfoView {
  readonly view: DataView;
  constructor(readonly layout: StructLayout, readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private field(name: string) {
    const f = this.layout.fields[name];
    if (!f) throw new RangeError(`no field ${name} in this info struct`);
    return f;
  }
  /** Unsigned value of a field up to 32 bits (bit-fields extracted). */
  u32(name: string): number {
    const f = this.field(name);
    const raw = f.size === 1 ? this.view.getUint8(f.offset) : f.size === 2 ? this.view.getUint16(f.offset, true) : this.view.getUint32(f.offset, true);
    return f.bits !== undefined ? (raw >>> f.bitOffset!) & ((2 ** f.bits - 1) >>> 0) : raw;
  }
  u64(name: string): bigint {
    return this.view.getBigUint64(this.field(name).offset, true);
  }
  set(name: string, v: number | bigint): void {
    const f = this.field(name);
    if (f.size === 8) this.view.setBigUint64(f.offset, BigInt(v), true);
    else this.view.setUint32(f.offset, Number(v), true);
  }
  /** A `char[N]` field up to its NUL. */
  str(name: string): string {
    const f = this.field(name);
    const b = this.bytes.subarray(f.offset, f.offset + f.size);
    const end = b.indexOf(0);
    return Buffer.from(b.subarray(0, end < 0 ? b.length : end)).toString('utf8');
  }
  hex(name: string): string {
    const f = this.field(name);
    return Buffer.from(this.bytes.subarray(f.offset, f.offset + f.size)).toString('hex');
  }
}

export interface ProgInfo {
  type: number;
  id: number;
  /** The program tag (hex), as bpftool shows it. */
  tag: string;
  name: string;
  mapIds: number[];
  jitedProgLen: number;
  xlatedProgLen: number;
  loadTime: bigint;
  createdByUid: number;
  gplCompatible: boolean;
  ifindex: number;
  btfId: number;
  nrFuncInfo: number;
  nrLineInfo: number;
  runTimeNs: bigint;
  runCnt: bigint;
  verifiedInsns: number;
}

export function progInfo(fd: FdLike): ProgInfo {
  const first = objGetInfo(fd, S.bpf_prog_info);
  const n = first.u32('nr_map_ids');
  let mapIds: number[] = [];
  if (n > 0) {
    const ids = pinnedBytes(n * 4);
    objGetInfo(fd, S.bpf_prog_info, (i) => { i.set('nr_map_ids', n); i.set('map_ids', addressOf(ids)); });
    const v = new DataView(ids.buffer, ids.byteOffset, ids.byteLength);
    mapIds = Array.from({ length: n }, (_, k) => v.getUint32(k * 4, true));
  }
  return {
    type: first.u32('type'),
    id: first.u32('id'),
    tag: first.hex('tag'),
    name: first.str('name'),
    mapIds,
    jitedProgLen: first.u32('jited_prog_len'),
    xlatedProgLen: first.u32('xlated_prog_len'),
    loadTime: first.u64('load_time'),
    createdByUid: first.u32('created_by_uid'),
    gplCompatible: first.u32('gpl_compatible') === 1,
    ifindex: first.u32('ifindex'),
    btfId: first.u32('btf_id'),
    nrFuncInfo: first.u32('nr_func_info'),
    nrLineInfo: first.u32('nr_line_info'),
    runTimeNs: first.u64('run_time_ns'),
    runCnt: first.u64('run_cnt'),
    verifiedInsns: first.u32('verified_insns'),
  };
}

export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags: number;
  name: string;
  ifindex: number;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  mapExtra: bigint;
}

export function mapInfo(fd: FdLike): MapInfo {
  const i = objGetInfo(fd, S.bpf_map_info);
  return {
    type: i.u32('type'),
    id: i.u32('id'),
    keySize: i.u32('key_size'),
    valueSize: i.u32('value_size'),
    maxEntries: i.u32('max_entries'),
    mapFlags: i.u32('map_flags'),
    name: i.str('name'),
    ifindex: i.u32('ifindex'),
    btfId: i.u32('btf_id'),
    btfKeyTypeId: i.u32('btf_key_type_id'),
    btfValueTypeId: i.u32('btf_value_type_id'),
    mapExtra: i.u64('map_extra'),
  };
}

export interface LinkInfo {
  type: number;
  id: number;
  progId: number;
  /** For XDP links: the interface index (0 once the interface is gone or the link detached). */
  xdpIfindex?: number;
}

export function linkInfo(fd: FdLike): LinkInfo {
  const i = objGetInfo(fd, S.bpf_link_info);
  const type = i.u32('type');
  return {
    type,
    id: i.u32('id'),
    progId: i.u32('prog_id'),
    ...(type === bpf_link_type.BPF_LINK_TYPE_XDP ? { xdpIfindex: i.u32('xdp.ifindex') } : {}),
  };
}

export interface BtfInfo {
  id: number;
  btfSize: number;
  name: string;
  kernelBtf: boolean;
}

export function btfInfo(fd: FdLike): BtfInfo {
  const name = pinnedBytes(256);
  const i = objGetInfo(fd, S.bpf_btf_info, (v) => { v.set('name', addressOf(name)); v.set('name_len', name.byteLength); });
  const end = name.indexOf(0);
  return {
    id: i.u32('id'),
    btfSize: i.u32('btf_size'),
    name: Buffer.from(name.subarray(0, end < 0 ? name.length : end)).toString('utf8'),
    kernelBtf: i.u32('kernel_btf') !== 0,
  };
}

/** The kernel refused BTF; `log` is its BTF verifier log (the last line says why). */
export class BtfLoadError extends SysError {
  readonly log: string;
  constructor(errno: number, log: string) {
    const last = log.trim().split('\n').filter((l) => l.trim()).pop();
    super('bpf(BPF_BTF_LOAD)', errno, last ? `kernel BTF check: ${last.trim()}` : undefined,
      errno === E.EPERM || errno === E.EACCES ? undefined : 'the full BTF log is on the error (`.log`)');
    this.log = log;
  }
}

/** BPF_BTF_LOAD → a new BTF fd owned by the caller. Fails with BtfLoadError (with the log). */
export function btfLoad(data: Uint8Array, o: { logLevel?: number; logSize?: number } = {}): Fd {
  const btf = pinnedBytes(data.byteLength);
  btf.set(data);
  const attempt = (level: number, log?: Uint8Array): number => {
    const a = attrFor(A.btf_load)
      .set('btf', addressOf(btf))
      .set('btf_size', data.byteLength)
      .set('btf_log_level', level)
      .set('btf_log_size', log ? log.byteLength : 0)
      .set('btf_log_buf', log ? addressOf(log) : 0n);
    return bpfRaw('BPF_BTF_LOAD', a);
  };
  let r = o.logLevel ? -E.EINVAL : attempt(0);
  if (r >= 0) return new Fd(r, 'btf');
  if (r === -E.EPERM) throw new BtfLoadError(-r, '');
  for (let size = o.logSize ?? 1 << 16; ; size *= 4) {
    const log = pinnedBytes(size);
    r = attempt(Math.max(o.logLevel ?? 1, 1), log);
    if (r >= 0) return new Fd(r, 'btf');
    if (r === -E.ENOSPC && size < 64 << 20) continue;
    const end = log.indexOf(0);
    throw new BtfLoadError(-r, Buffer.from(log.subarray(0, end < 0 ? log.length : end)).toString('utf8'));
  }
}
