/**
 * The kernel side of one log call, as the compiler emits it (and the tests assemble it):
 *
 *   r1 = tsbpf_log_levels ll           ; .rodata, frozen: the verifier knows the value
 *   r1 = *(u32 *)(r1 + 4*target)
 *   if r1 < LEVEL goto end             ; disabled at load time → the rest is never walked
 *   *(u64 *)(r10 - S) = ID             ; one ST: id in bytes 0..4, zeros in 4..8
 *   *(uN *)(r10 - S + off) = rX        ; one per scalar argument
 *   r1 = tsbpf_logs ll
 *   r2 = r10
 *   r2 += -S
 *   r3 = SIZE
 *   r4 = 0
 *   call 130                           ; bpf_ringbuf_output: copies the record into the ring
 *   if r0 == 0 goto end
 *   call tsbpf_log_count_lost          ; ring full: count it (shared static function)
 * end:
 *
 * 12 instructions without arguments (llvm-objdump lines; the two `ll` loads are one line each),
 * +1 per scalar argument held in a register. With `levelReg` (the level loaded once at entry into
 * a callee-saved register by emitLevelLoad) the guard is one instruction: 10 per call.
 * bpf_ringbuf_output needs 4 fewer instructions than reserve + stores + submit, and keeping the
 * rare failure path in a function costs 2 instructions per call instead of 4.
 */
import { bpf_map_type } from '../abi/index.js';
// narrow imports: the compiler loads this file on `tsbpf build` (each module costs start-up time)
import { Assembler, r0, r1, r2, r3, r4, r5, r10, type AsmProgram, type RegName } from '../insn/asm.js';
import { encode } from '../insn/encode.js';
import type { Size } from '../insn/types.js';
import type { BtfBuilder } from '../btf/builder.js';
import type { EmitData, EmitFunction, EmitMap } from '../object/index.js';
import { TsbpfError } from '../errors.js';
import { BPF_FUNC_ringbuf_output, LOG_DEFAULT_LEVEL, LOG_LEVELS_VAR, LOG_LOST_FUNC, LOG_LOST_VAR, LOG_RINGBUF, LOG_RINGBUF_SIZE, levelNumber, type LogLevelName, type LogMeta } from './abi.js';

const SIZES: Record<number, Size> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

export interface LogCallArg {
  /** Byte offset in the record (from layoutRecord). */
  offset: number;
  size: 1 | 2 | 4 | 8;
  /** A register holding the value (any but r1 when the level is loaded per call), or a constant. */
  value: RegName | number | bigint;
  /** Convert network → host order first (be16/be32/be64 printed as numbers; argKindFor says when). */
  swap?: 16 | 32 | 64;
}

/** An argument copied from memory (an address or byte array): `size` bytes at `from + fromOff`. */
export interface LogCallCopy {
  offset: number;
  size: number;
  from: RegName;
  fromOff: number;
  /**
   * The source may be read at any alignment: packet and map-value pointers (the verifier checks
   * alignment strictly only for the stack, unless BPF_F_STRICT_ALIGNMENT). Default false.
   */
  unaligned?: boolean;
}

export interface LogCall {
  id: number;
  level: LogLevelName;
  /** Index of the call's target in the table. */
  target: number;
  /** Where the record is built: r10 + frame, a negative multiple of 8 with layout.stack free bytes. */
  frame: number;
  /** Record size (layoutRecord().size). */
  size: number;
  args?: LogCallArg[];
  copies?: LogCallCopy[];
  /** A register holding levels[target] for the whole function (see emitLevelLoad). */
  levelReg?: RegName;
  /** Label after the sequence; unique in the function (default `tsbpf.log.<id>.<n>`). */
  end?: string;
}

let labels = 0;
const CLOBBERED = new Set<RegName>([r0, r1, r2, r3, r4, r5]);

function swapBytes(v: bigint, bits: number): bigint {
  let out = 0n;
  let x = BigInt.asUintN(bits, v);
  for (let i = 0; i < bits / 8; i++, x >>= 8n) out = (out << 8n) | (x & 0xffn);
  return out;
}

const bad = (m: string): never => { throw new TsbpfError('LOG', `log call: ${m}`); };

/** Emits one log call (see the file comment). r0–r5 are clobbered, as by a helper call. */
export function emitLogCall(a: Assembler, c: LogCall): void {
  if (!Number.isInteger(c.id) || c.id < 0 || c.id > 0x7fffffff) bad(`id ${c.id} is not in 0..2^31-1`);
  if (c.frame >= 0 || c.frame % 8 !== 0 || c.frame < -512) bad(`frame offset ${c.frame} is not a negative multiple of 8 within the 512-byte stack`);
  if (c.size < 4 || c.frame + Math.max(8, c.size) > 0) bad(`record of ${c.size} bytes does not fit at r10${c.frame}`);
  const end = c.end ?? `tsbpf.log.${c.id}.${++labels}`;
  const level = levelNumber(c.level);
  if (c.levelReg) {
    a.jlt(c.levelReg, level, end);
  } else {
    a.ldMapValue(r1, LOG_LEVELS_VAR, 0).ldx('u32', r1, r1, 4 * c.target).jlt(r1, level, end);
  }
  a.st('u64', r10, c.frame, c.id);
  const scratch = (why: string): RegName => {
    if ((c.args ?? []).some((o) => o.value === r1) || (c.copies ?? []).some((o) => o.from === r1)) bad(`${why} needs r1 as scratch, but an argument is in r1`);
    return r1;
  };
  for (const arg of c.args ?? []) {
    const size = SIZES[arg.size] ?? bad(`argument size ${arg.size} is not 1, 2, 4 or 8`);
    if (arg.offset < 4 || arg.offset % arg.size !== 0 || arg.offset + arg.size > c.size) bad(`argument at offset ${arg.offset} (${arg.size} bytes) is misplaced in a ${c.size}-byte record`);
    if (typeof arg.value === 'string') {
      if (arg.value === r1 && !c.levelReg) bad('r1 holds the level; pass arguments in other registers');
      let reg: RegName = arg.value;
      if (arg.swap) {
        // r0-r5 die at the helper call anyway: swap in place unless another argument reads the
        // register; callee-saved values are swapped in r1 (the level's register, free by now).
        const shared = (c.args ?? []).some((o) => o !== arg && o.value === reg) || (c.copies ?? []).some((o) => o.from === reg);
        if (!CLOBBERED.has(reg) || shared) {
          a.mov64(scratch('a byte-swapped argument'), reg);
          reg = r1;
        }
        a.be(reg, arg.swap);
      }
      a.stx(size, r10, c.frame + arg.offset, reg);
    } else {
      let v = BigInt.asIntN(arg.size * 8, BigInt(arg.value));
      if (arg.swap) v = BigInt.asIntN(arg.size * 8, swapBytes(v, arg.swap));
      if (v >= -(2n ** 31n) && v < 2n ** 31n) a.st(size, r10, c.frame + arg.offset, Number(v));
      else a.ld64(scratch('a constant wider than 32 bits'), v).stx(size, r10, c.frame + arg.offset, r1);
    }
  }
  for (const cp of c.copies ?? []) copyBytes(a, c, cp);
  a.ldMap(r1, LOG_RINGBUF).mov64(r2, r10).add64(r2, c.frame).mov64(r3, c.size).mov64(r4, 0).call(BPF_FUNC_ringbuf_output);
  a.jeq(r0, 0, end).callFunc(LOG_LOST_FUNC).label(end);
}

/** Copies `size` bytes in the widest chunks the offsets allow (stack accesses must be aligned). */
function copyBytes(a: Assembler, c: LogCall, cp: LogCallCopy): void {
  if (cp.offset < 4 || cp.offset + cp.size > c.size || cp.size < 1) bad(`copied argument at offset ${cp.offset} (${cp.size} bytes) is misplaced in a ${c.size}-byte record`);
  if (cp.from === r1) bad('r1 is the copy scratch register; pass the source pointer in another register');
  let done = 0;
  while (done < cp.size) {
    let w = 8;
    while (w > 1 && (w > cp.size - done || (cp.offset + done) % w !== 0 || (!cp.unaligned && (cp.fromOff + done) % w !== 0))) w /= 2;
    a.ldx(SIZES[w]!, r1, cp.from, cp.fromOff + done).stx(SIZES[w]!, r10, c.frame + cp.offset + done, r1);
    done += w;
  }
}

/** Loads levels[target] into `reg` (a callee-saved register kept for the function), once at entry. */
export function emitLevelLoad(a: Assembler, reg: RegName, target: number): void {
  a.ldMapValue(reg, LOG_LEVELS_VAR, 0).ldx('u32', reg, reg, 4 * target);
}

/** The shared failure path: `tsbpf_log_lost += 1` (atomic), returns 1. One per object, in `.text`. */
export function lostCounterFunction(): AsmProgram {
  const a = new Assembler();
  a.func(LOG_LOST_FUNC).ldMapValue(r1, LOG_LOST_VAR, 0).mov64(r0, 1).atomic('add', 'u64', r1, 0, r0).exit();
  return a.finish();
}

export interface LogObjectParts {
  maps: EmitMap[];
  /** The caller's data sections with the two variables added (`.rodata` and `.bss` created or extended). */
  data: EmitData[];
  functions: EmitFunction[];
}

/** Appends a variable to section `name` of `data` (created when missing) at an `align`ed offset. */
function appendVar(data: EmitData[], name: string, v: { name: string; size: number; typeId?: number; init?: Uint8Array }, align: number): { data: EmitData[]; offset: number } {
  const i = data.findIndex((d) => d.section === name);
  const bss = name.startsWith('.bss');
  const old = i >= 0 ? data[i]! : { section: name, variables: [], ...(bss ? { size: 0 } : { data: new Uint8Array(0) }) };
  const end = bss ? (old.size ?? 0) : (old.data?.length ?? 0);
  const offset = Math.ceil(end / align) * align;
  const next: EmitData = { ...old, variables: [...old.variables, { name: v.name, offset, size: v.size, typeId: v.typeId }] };
  if (bss) next.size = offset + v.size;
  else {
    const bytes = new Uint8Array(offset + v.size);
    bytes.set(old.data ?? new Uint8Array(0));
    if (v.init) bytes.set(v.init, offset);
    next.data = bytes;
  }
  return { data: i >= 0 ? data.map((d, k) => (k === i ? next : d)) : [...data, next], offset };
}

/**
 * What a logging object needs besides its programs, as emitObject input: the ring buffer map,
 * the level setting (`.rodata`, info for every target), the lost counter (`.bss`) — appended to
 * the caller's `data` sections when given — and the function that increments the counter.
 * `btf` (the builder given to emitObject) types the two variables.
 */
export function logObjectParts(meta: Pick<LogMeta, 'targets'>, o: { btf?: BtfBuilder; ringSize?: number; data?: EmitData[] } = {}): LogObjectParts {
  const ringSize = o.ringSize ?? LOG_RINGBUF_SIZE;
  if (!Number.isInteger(ringSize) || ringSize < 4096 || (ringSize & (ringSize - 1)) !== 0) bad(`ring size ${ringSize} is not a power of 2 of at least 4096`);
  const n = meta.targets.length;
  const levels = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) new DataView(levels.buffer).setUint32(4 * i, LOG_DEFAULT_LEVEL, true);
  const u32 = o.btf?.addInt('unsigned int', 4);
  const u64 = o.btf?.addInt('unsigned long long', 8);
  const withLevels = appendVar(o.data ?? [], '.rodata', { name: LOG_LEVELS_VAR, size: 4 * n, init: levels, typeId: u32 !== undefined ? o.btf!.addArray(u32, n) : undefined }, 4);
  const withLost = appendVar(withLevels.data, '.bss', { name: LOG_LOST_VAR, size: 8, typeId: u64 }, 8);
  const lost = lostCounterFunction();
  return {
    maps: [{ name: LOG_RINGBUF, type: bpf_map_type.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: ringSize }],
    data: withLost.data,
    functions: [{
      name: LOG_LOST_FUNC,
      bytes: encode(lost.insns),
      relocations: lost.relocs.map((r) => ({ kind: 'data' as const, insn: r.slot, section: '.bss', offset: withLost.offset, symbol: LOG_LOST_VAR })),
    }],
  };
}
