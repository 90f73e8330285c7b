/**
 * Integer constants of a uapi header: object-like #defines and enums (named and anonymous),
 * evaluated in source order as C would, for gen-abi's consts and enums tables.
 */
import { evalCExpr } from './c-expr.js';
import { objectLikeDefine, stripC } from './c-text.js';
import { HeaderParseError } from './errors.js';

export interface EnumDecl {
  name: string | null;
  members: [string, bigint][];
}

export interface HeaderConstants {
  /** #defines that evaluate to an integer, in source order. */
  defines: Map<string, bigint>;
  /** Every enum but bpf_func_id (see read-helpers.ts), in source order. */
  enums: EnumDecl[];
  /** Names whose header spelling is hex or a shift: printed in hex (opcodes, flags). */
  hex: Set<string>;
}

interface Decl { at: number; kind: 'define' | 'enum'; name: string | null; text: string }

/** Collects object-like #defines and enums in source order and evaluates them. */
export function parseConstants(text: string): HeaderConstants {
  const src = stripC(text);
  const decls: Decl[] = [];
  for (const m of src.matchAll(/^[ \t]*#[^\n]*$/gm)) {
    const d = objectLikeDefine(m[0]);
    if (d) decls.push({ at: m.index ?? 0, kind: 'define', name: d.name, text: d.value });
  }
  for (const m of src.matchAll(/\benum\s+(\w+\s*)?\{([^}]*)\}/g)) {
    decls.push({ at: m.index ?? 0, kind: 'enum', name: m[1]?.trim() ?? null, text: m[2]! });
  }
  decls.sort((a, b) => a.at - b.at);
  const symbols = new Map<string, bigint>();
  const defines = new Map<string, bigint>();
  const enums: EnumDecl[] = [];
  const pending: Decl[] = [];
  const hex = new Set<string>();
  const style = (name: string, expr: string): void => { if (/0x|<</i.test(expr)) hex.add(name); };
  for (const d of decls) {
    if (d.kind === 'define') {
      const v = d.text === '' ? null : evalCExpr(d.text, symbols);
      if (v === null) pending.push(d);
      else { symbols.set(d.name!, v); defines.set(d.name!, v); style(d.name!, d.text); }
      continue;
    }
    // bpf_func_id is built by the FN() mapper macro: parseHelperIds reads it instead.
    if (d.name === 'bpf_func_id') continue;
    const members: [string, bigint][] = [];
    let next = 0n;
    // A #define may sit inside an enum body (BPF_F_REDIRECT_FLAGS); it is collected as a define.
    const body = d.text.replace(/^[ \t]*#[^\n]*$/gm, '');
    for (const item of body.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = /^(\w+)\s*(?:=\s*([\s\S]+))?$/.exec(item);
      if (!m) throw new HeaderParseError(`enum ${d.name ?? '(anonymous)'}: cannot parse member '${item}'`);
      const v = m[2] === undefined ? next : evalCExpr(m[2], symbols);
      if (v === null) throw new HeaderParseError(`enum ${d.name ?? '(anonymous)'}: cannot evaluate ${m[1]} = ${m[2]}`);
      members.push([m[1]!, v]);
      if (m[2] !== undefined) style(m[1]!, m[2]);
      symbols.set(m[1]!, v);
      next = v + 1n;
    }
    enums.push({ name: d.name, members });
  }
  // Defines referring to later declarations (MAX_BPF_ATTACH_TYPE): evaluate once everything is known.
  for (const d of pending) {
    const v = d.text === '' ? null : evalCExpr(d.text, symbols);
    if (v !== null) { symbols.set(d.name!, v); defines.set(d.name!, v); style(d.name!, d.text); }
  }
  return { defines, enums, hex };
}
