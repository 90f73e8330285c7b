/**
 * A checked log call → IR, the sequence of src/log/emit.ts (docs/architecture.md, "log"):
 *
 *   rA = tsbpf_log_levels ll; rA = *(u32 *)(rA + 4*target)
 *   if rA < LEVEL goto end        ; the setting is frozen .rodata: a disabled call is never walked
 *   *(u64 *)(r10 - S) = ID        ; BPF_ST: the id, and zeros in bytes 4..8
 *   …arguments, evaluated only here (after the guard), stored at their record offsets…
 *   r1 = tsbpf_logs ll; r2 = r10; r2 += -S; r3 = SIZE; r4 = 0; call bpf_ringbuf_output
 *   if r0 == 0 goto end
 *   call tsbpf_log_count_lost     ; the ring was full: count the record as lost
 * end:
 *
 * Register allocation places everything; without arguments it is 12 instructions.
 */
import { BPF_FUNC_ringbuf_output, LOG_LEVELS_VAR, LOG_LOST_FUNC, LOG_RINGBUF, levelNumber } from '../log/abi.js';
import { FP, R0, R1, R2, R3, R4, type VReg } from './ir.js';
import type { FnBuilder, View } from './lower-fn.js';
import { inReg, value } from './lower-expr.js';
import { viewOf } from './lower-mem.js';
import type { LogArgInfo, LogCallInfo, TExpr } from './typed.js';
import { alignOf } from './types.js';

const SIZE = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;

/** Interns a call site: its id (unique per target and source position) and its target's index. */
export type LogSiteFn = (site: { target: string; pos: number; info: LogCallInfo }) => { id: number; target: number };

export function lowerLog(fb: FnBuilder, e: TExpr & { k: 'intrinsic' }, site: LogSiteFn): void {
  const info = e.log!;
  const pos = e.pos;
  fb.pos = pos;
  const { id, target } = site({ target: fb.name, pos, info });
  // the guard: levels[target] < LEVEL skips the call, arguments included
  const levels = fb.reg(true);
  fb.emit({ op: 'ldsym', dst: levels, kind: 'data', symbol: LOG_LEVELS_VAR, section: '.rodata', offset: 0, pos });
  const level = fb.reg();
  fb.emit({ op: 'ld', size: 'u32', dst: level, base: levels, off: 4 * target, pos });
  const body = fb.newBlock();
  const end = fb.newBlock();
  fb.terminate({ op: 'jcc', cc: 'lt', w: 64, a: level, b: { imm: levelNumber(info.level) }, t: end, f: body, pos, hot: 'f', sure: true });
  fb.setCur(body);
  const mark = fb.tempMark();
  const frame = fb.allocTemp(info.stack, 8);
  fb.emit({ op: 'st', size: 'u64', base: FP, off: frame, src: { imm: id }, keepImm: true, pos });
  info.args.forEach((a, i) => {
    const x = e.args[i + 1];
    if (a.copy) copyArg(fb, viewOf(fb, x), alignOf(x.ty), frame, a);
    else storeScalar(fb, x, frame, a);
  });
  fb.pos = pos;
  const ring = fb.reg(true);
  fb.emit({ op: 'ldsym', dst: ring, kind: 'map', symbol: LOG_RINGBUF, offset: 0, pos });
  const rec = fb.stackAddr(frame);
  fb.mov(R1, { r: ring });
  fb.mov(R2, { r: rec });
  fb.mov(R3, { imm: info.size }, 32);
  fb.mov(R4, { imm: 0 });
  fb.emit({ op: 'call', helper: BPF_FUNC_ringbuf_output, nargs: 4, pos });
  fb.releaseTemps(mark);
  const lost = fb.newBlock();
  fb.terminate({ op: 'jcc', cc: 'eq', w: 64, a: R0, b: { imm: 0 }, t: end, f: lost, pos, hot: 'f', sure: true });
  fb.setCur(lost);
  fb.emit({ op: 'callsub', name: LOG_LOST_FUNC, nargs: 0, pos });
  fb.br(end);
  fb.setCur(end);
}

/** An integer or bool: one store (BPF_ST for constants), after a byte swap for be16/be32/be64. */
function storeScalar(fb: FnBuilder, x: TExpr, frame: number, a: LogArgInfo): void {
  const size = SIZE[a.size as 1 | 2 | 4 | 8];
  const off = frame + a.offset;
  // the store writes exactly the argument's bytes, so 8/16-bit values need no wrapping first
  const v = value(fb, x);
  if (v.imm !== undefined) {
    let c = BigInt.asUintN(a.size * 8, v.imm);
    if (a.swap) c = swapBytes(c, a.swap);
    const s = BigInt.asIntN(a.size * 8, c);
    if (s >= -(2n ** 31n) && s < 2n ** 31n) {
      fb.emit({ op: 'st', size, base: FP, off, src: { imm: Number(s) }, keepImm: true, pos: fb.pos });
      return;
    }
    const r = fb.reg();
    fb.emit({ op: 'lddw', dst: r, value: s, pos: fb.pos });
    fb.emit({ op: 'st', size, base: FP, off, src: { r }, pos: fb.pos });
    return;
  }
  let r: VReg = inReg(fb, v);
  if (a.swap) {
    const t = fb.reg();
    fb.mov(t, { r });
    fb.emit({ op: 'be', bits: a.swap, dst: t, pos: fb.pos });
    r = t;
  }
  fb.emit({ op: 'st', size, base: FP, off, src: { r }, pos: fb.pos });
}

/**
 * Bytes from memory in the widest chunks the offsets allow. Stack accesses must be aligned (the
 * verifier always checks them, and context reads); packet, map-value and global data may be read at any alignment
 * (unless the program is loaded with BPF_F_STRICT_ALIGNMENT, which tsbpf never sets).
 */
function copyArg(fb: FnBuilder, src: View, typeAlign: number, frame: number, a: LogArgInfo): void {
  const anyAlign = src.space === 'packet' || src.space === 'map' || src.space === 'ringbuf' || src.space === 'global';
  // a stack view's address is known (r10 is 8-aligned), a context's offset is what the verifier
  // checks (off % size); otherwise trust only the type's alignment
  const known = src.base === FP || src.space === 'ctx';
  const srcAlign = (w: number, at: number): boolean => anyAlign || (known ? (src.off + at) % w === 0 : w <= typeAlign && (src.off + at) % w === 0);
  let done = 0;
  while (done < a.size) {
    let w = Math.min(8, src.maxLoad ?? 8);
    while (w > 1 && (w > a.size - done || (frame + a.offset + done) % w !== 0 || !srcAlign(w, done))) w /= 2;
    const size = SIZE[w as 1 | 2 | 4 | 8];
    const t = fb.reg();
    fb.emit({ op: 'ld', size, dst: t, base: src.base, off: src.off + done, pos: fb.pos });
    fb.emit({ op: 'st', size, base: FP, off: frame + a.offset + done, src: { r: t }, pos: fb.pos });
    done += w;
  }
}

function swapBytes(v: bigint, bits: number): bigint {
  let out = 0n;
  let x = v;
  for (let i = 0; i < bits / 8; i++, x >>= 8n) out = (out << 8n) | (x & 0xffn);
  return out;
}
