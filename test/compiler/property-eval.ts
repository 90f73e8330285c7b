/**
 * The property test's independent evaluator: runs a generated program (property-gen.ts) on a
 * packet by the language's rules (docs/architecture.md, compiler: integer semantics), written
 * without any compiler code: BigInt arithmetic, wrap to the type after every operation, BPF's
 * x / 0 = 0 and x % 0 = x, JavaScript's switch/break/continue.
 */
import { type Cond, type Ex, FIELDS, HEADER_SIZE, type Prog, QFIELDS, Q_SIZE, type St, bits, wrap } from './property-gen.js';

class Return {
  constructor(readonly v: bigint) {}
}
class Break {}
class Continue {}

export interface Outcome {
  ret: bigint;
  packet: Uint8Array;
  out: bigint;
}

/** Runs a program on a packet by the language's rules. `out` is g_out's value afterwards. */
export function evaluate(p: Prog, packet: Uint8Array, gOut: bigint): Outcome {
  const pkt = Uint8Array.from(packet);
  let out = gOut;
  if (p.off + HEADER_SIZE > pkt.length) return { ret: 77n, packet: pkt, out };
  let qoff = -1;
  const readLE = (off: number, n: number): bigint => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(pkt[off + i]);
    return v;
  };
  const writeLE = (off: number, n: number, v: bigint): void => {
    let x = BigInt.asUintN(n * 8, v);
    for (let i = 0; i < n; i++) {
      pkt[off + i] = Number(x & 0xffn);
      x >>= 8n;
    }
  };
  const field = (f: string): bigint => {
    const s = FIELDS[f];
    if (s.be) return (BigInt(pkt[p.off + s.off]) << 8n) | BigInt(pkt[p.off + s.off + 1]);
    return readLE(p.off + s.off, bits(s.ty) / 8);
  };
  const store = (f: string, v: bigint): void => {
    const s = FIELDS[f];
    if (s.be) {
      const x = BigInt.asUintN(16, v);
      pkt[p.off + s.off] = Number((x >> 8n) & 0xffn);
      pkt[p.off + s.off + 1] = Number(x & 0xffn);
      return;
    }
    writeLE(p.off + s.off, bits(s.ty) / 8, v);
  };

  const ev = (e: Ex, env: Map<string, bigint>): bigint => {
    switch (e.k) {
      case 'lit':
        return e.v;
      case 'var':
        return env.get(e.name)!;
      case 'field':
        return field(e.f);
      case 'qfield':
        return readLE(qoff + QFIELDS[e.f].off, bits(QFIELDS[e.f].ty) / 8);
      case 'len':
        return BigInt(pkt.length);
      case 'bin': {
        const a = ev(e.a, env);
        const b = ev(e.b, env);
        switch (e.op) {
          case '+': return wrap(a + b, e.ty);
          case '-': return wrap(a - b, e.ty);
          case '*': return wrap(a * b, e.ty);
          case '&': return wrap(a & b, e.ty);
          case '|': return wrap(a | b, e.ty);
          case '^': return wrap(a ^ b, e.ty);
          case '/': return b === 0n ? 0n : wrap(a / b, e.ty); // BPF: x / 0 = 0
          case '%': return b === 0n ? a : wrap(a % b, e.ty); // BPF: x % 0 = x
        }
        break;
      }
      case 'shift': {
        const a = ev(e.a, env);
        const n = BigInt(e.n);
        if (e.op === '<<') return wrap(a << n, e.ty);
        if (e.op === '>>') return wrap(a >> n, e.ty); // arithmetic for signed (a is negative), logical for unsigned
        return wrap(BigInt.asUintN(bits(e.ty), a) >> n, e.ty);
      }
      case 'un':
        return wrap(e.op === '-' ? -ev(e.a, env) : ~ev(e.a, env), e.ty);
      case 'cast':
        return wrap(ev(e.a, env), e.ty);
      case 'cond':
        return evc(e.c, env) ? ev(e.a, env) : ev(e.b, env);
      case 'call':
        return call(e.fn, e.args.map((a) => ev(a, env)));
    }
    throw new Error('unreachable');
  };
  const evc = (c: Cond, env: Map<string, bigint>): boolean => {
    switch (c.k) {
      case 'cmp': {
        const a = ev(c.a, env);
        const b = ev(c.b, env);
        switch (c.op) {
          case '<': return a < b;
          case '<=': return a <= b;
          case '>': return a > b;
          case '>=': return a >= b;
          case '===': return a === b;
          case '!==': return a !== b;
        }
        break;
      }
      case 'and':
        return evc(c.a, env) && evc(c.b, env);
      case 'or':
        return evc(c.a, env) || evc(c.b, env);
      case 'not':
        return !evc(c.a, env);
    }
    throw new Error('unreachable');
  };
  const run = (ss: St[], env: Map<string, bigint>): void => {
    for (const s of ss) {
      switch (s.k) {
        case 'let':
          env.set(s.name, ev(s.e, env));
          break;
        case 'set': {
          const cur = env.get(s.name)!;
          const e = ev(s.e, env);
          const r = s.op === '=' ? e : s.op === '+=' ? cur + e : s.op === '-=' ? cur - e : s.op === '&=' ? cur & e : s.op === '|=' ? cur | e : s.op === '^=' ? cur ^ e : cur * e;
          env.set(s.name, wrap(r, s.ty));
          break;
        }
        case 'store':
          store(s.f, ev(s.e, env));
          break;
        case 'if':
          run(evc(s.c, env) ? s.then : s.else, env);
          break;
        case 'for':
          for (let i = 0; i < s.n; i++) {
            env.set(s.iv, BigInt(i));
            try {
              run(s.body, env);
            } catch (x) {
              if (x instanceof Break) break;
              if (x instanceof Continue) continue;
              throw x;
            }
          }
          env.delete(s.iv);
          break;
        case 'switch': {
          const d = env.get(s.name)!;
          let start = s.cases.findIndex((c) => c.v === d);
          const flat: { body: St[]; brk: boolean }[] = [...s.cases, ...(s.dflt ? [{ body: s.dflt, brk: false }] : [])];
          if (start < 0) start = s.dflt ? s.cases.length : flat.length;
          try {
            for (let i = start; i < flat.length; i++) {
              run(flat[i].body, env);
              if (flat[i].brk) break;
            }
          } catch (x) {
            if (!(x instanceof Break)) throw x; // a break inside a switch leaves the switch
          }
          break;
        }
        case 'hdr2': {
          const off = Number(ev(s.off, env));
          if (off + Q_SIZE <= pkt.length) {
            const saved = qoff;
            qoff = off;
            run(s.body, env);
            qoff = saved;
          }
          break;
        }
        case 'ret':
          throw new Return(BigInt.asUintN(64, ev(s.e, env)));
        case 'break':
          throw new Break();
        case 'continue':
          throw new Continue();
        case 'out':
          out = ev(s.e, env);
          break;
      }
    }
  };
  const call = (name: string, args: bigint[]): bigint => {
    const f = p.fns.find((x) => x.name === name)!;
    const env = new Map(f.params.map((q, i) => [q.name, args[i]]));
    try {
      run(f.body, env);
      return ev(f.result, env);
    } catch (x) {
      if (x instanceof Return) return wrap(x.v, f.ret);
      throw x;
    }
  };
  try {
    const env = new Map<string, bigint>();
    for (const v of p.vars) env.set(v.name, ev(v.init, env));
    run(p.body, env);
    return { ret: BigInt.asUintN(32, ev(p.ret, env)), packet: pkt, out };
  } catch (x) {
    if (x instanceof Return) return { ret: BigInt.asUintN(32, x.v), packet: pkt, out };
    throw x;
  }
}
