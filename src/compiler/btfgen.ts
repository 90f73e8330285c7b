/**
 * BTF for the object: integer types under their tsbpf names (typedefs `u32`, `be16`, … so
 * bpftool shows them), structs, arrays, map keys and values, global variables (settings as
 * `const volatile` like C), and function prototypes for func_info.
 */
import { BtfBuilder } from '../btf/builder.js';
import { LINKAGE_GLOBAL, LINKAGE_STATIC } from '../btf/types.js';
import { XDP_MD } from './builtins.js';
import { ctxDesc } from './contexts.js';
import type { FuncInfo } from './typed.js';
import { type CtxName, INT, type IntTy, type StructDef, type Ty, sizeOf } from './types.js';

const C_NAMES: Record<string, [string, boolean]> = {
  char: ['char', true], u8: ['unsigned char', false], u16: ['unsigned short', false], u32: ['unsigned int', false], u64: ['unsigned long long', false],
  i8: ['signed char', true], i16: ['short', true], i32: ['int', true], i64: ['long long', true],
  be16: ['unsigned short', false], be32: ['unsigned int', false], be64: ['unsigned long long', false],
};

export class BtfTypes {
  readonly b = new BtfBuilder();
  private readonly structs = new Map<StructDef, number>();
  private readonly ctxPtrIds = new Map<string, number>();
  private intId = 0;

  int(t: IntTy): number {
    const [cname, signed] = C_NAMES[t.name];
    if (t.name === 'char') return this.b.addInt('char', 1, { signed: true }); // C's char: text
    return this.b.addTypedef(t.name, this.b.addInt(cname, t.bits / 8, { signed }));
  }

  ty(t: Ty): number {
    switch (t.k) {
      case 'int':
        return this.int(t);
      case 'bool':
        return this.b.addInt('_Bool', 1, { bool: true });
      case 'struct':
        return this.struct(t.def);
      case 'array':
        return this.b.addArray(this.ty(t.elem), t.len);
      case 'ref':
        return this.ty(t.inner);
      case 'ctx':
        return this.ctxPtr(t.ctx);
      default:
        return 0;
    }
  }

  struct(def: StructDef): number {
    const hit = this.structs.get(def);
    if (hit) return hit;
    const id = this.b.reserve();
    this.structs.set(def, id);
    const members: { name: string; type: number; bitOffset: number }[] = [];
    let end = 0;
    for (const f of [...def.fields].sort((a, b) => a.offset - b.offset)) {
      if (f.bits || f.offset < end) continue; // virtual bit fields and union members that overlap
      const ptr = pointerFields.get(def)?.has(f.name) === true;
      members.push({ name: f.name, type: ptr ? this.b.addPtr(this.ty(f.ty)) : this.ty(f.ty), bitOffset: f.offset * 8 });
      end = f.offset + (ptr ? 8 : sizeOf(f.ty));
    }
    this.b.set(id, { kind: 'STRUCT', name: def.name, size: def.size, members: members.map((m) => ({ ...m, bitSize: 0 })), bitfields: false });
    return id;
  }

  /** A pointer to the context's C struct (`struct xdp_md *`, `struct __sk_buff *`, `struct pt_regs *`, `u64 *`). */
  ctxPtr(name: CtxName): number {
    const d = ctxDesc(name);
    let id = this.ctxPtrIds.get(d.cStruct);
    if (id === undefined) {
      id = this.b.addPtr(d.cStruct === 'u64' ? this.int(INT.u64) : this.struct(ctxStruct(name)));
      this.ctxPtrIds.set(d.cStruct, id);
    }
    return id;
  }

  /** `int NAME(struct xdp_md *ctx)` for a program. */
  programFunc(name: string, ctxName: string, ctx: CtxName): number {
    this.intId ||= this.b.addInt('int', 4, { signed: true });
    const proto = this.b.addFuncProto(this.intId, [{ name: ctxName, type: this.ctxPtr(ctx) }]);
    return this.b.addFunc(name, proto, LINKAGE_GLOBAL);
  }

  /** A static FUNC for a @noinline function, with its parameter and result types. */
  subFunc(f: FuncInfo): number {
    const params = f.params.map((p) => ({ name: p.name, type: p.ty.k === 'struct' || p.ty.k === 'array' || p.ty.k === 'ref' ? this.b.addPtr(this.ty(p.ty)) : this.ty(p.ty) }));
    const proto = this.b.addFuncProto(f.ret.k === 'void' ? 0 : this.ty(f.ret), params);
    return this.b.addFunc(f.name, proto, LINKAGE_STATIC);
  }

  /** `const volatile T` (a setting) or T. */
  variable(t: Ty, readonly: boolean): number {
    const id = this.ty(t);
    return readonly ? this.b.addConst(this.b.addVolatile(id)) : id;
  }

  /** `const char[n]` for a format string. */
  string(n: number): number {
    return this.b.addArray(this.b.addConst(this.b.addInt('char', 1, { signed: true })), n);
  }
}

const ctxStructs = new Map<string, StructDef>();
/** Context fields that hold a pointer to their struct (sk_msg_md.sk: `struct bpf_sock *`), by C struct. */
const pointerFields = new Map<StructDef, Set<string>>();

/** The context's C struct for BTF: its C name and size, our fields under their C names. */
function ctxStruct(name: CtxName): StructDef {
  const d = ctxDesc(name);
  if (d.cStruct === 'xdp_md') return XDP_MD;
  let def = ctxStructs.get(d.cStruct);
  if (!def) {
    const cname = (n: string): string => n.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    def = { name: d.cStruct, size: d.cSize, align: 8, builtin: true, pos: 0, fields: d.fields.map((x) => ({ name: cname(x.name), ty: x.ty, offset: x.offset, readonly: true })) };
    ctxStructs.set(d.cStruct, def);
    const ptrs = d.fields.filter((x) => x.deref).map((x) => cname(x.name));
    if (ptrs.length) pointerFields.set(def, new Set(ptrs));
  }
  return def;
}
