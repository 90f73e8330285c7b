/**
 * Kernel ABI: constants and tables generated from the uapi headers (see scripts/gen-abi.ts) and
 * lookups over them. Nothing here calls into the kernel.
 */
import * as enums from './enums.gen.js';
import { HELPER_ROWS, type HelperName } from './helpers.gen.js';
import type { HelperSig } from './types.js';

export * from './consts.gen.js';
export * from './enums.gen.js';
export type { HelperName } from './helpers.gen.js';
export type { HelperSig, HelperRow } from './types.js';
export { parseCType, type CType, type CTypeKind } from './ctype.js';

export interface Helper {
  /** The kernel's helper id (`BPF_FUNC_<name>`). */
  readonly id: number;
  /** Name without the `bpf_` prefix (`trace_printk`). */
  readonly name: HelperName;
  /** Name as C and llvm-objdump users know it (`bpf_trace_printk`). */
  readonly cName: string;
  /** C signatures from the uapi doc comment; more than one when the docs list per-context overloads. */
  readonly sigs: readonly HelperSig[];
}

let byId: Map<number, Helper> | undefined;
let byName: Map<string, Helper> | undefined;

function index(): void {
  byId = new Map();
  byName = new Map();
  for (const [id, name, sigs] of HELPER_ROWS) {
    const h: Helper = { id, name: name as HelperName, cName: `bpf_${name}`, sigs };
    byId.set(id, h);
    byName.set(name, h);
  }
}

/** Every helper the uapi header lists, by ascending id. */
export function allHelpers(): Helper[] {
  if (!byId) index();
  return [...byId!.values()];
}

export function helperById(id: number): Helper | undefined {
  if (!byId) index();
  return byId!.get(id);
}

/** Accepts `trace_printk` or `bpf_trace_printk`. */
export function helperByName(name: string): Helper | undefined {
  if (!byName) index();
  return byName!.get(name.startsWith('bpf_') ? name.slice(4) : name);
}

/** A named enum of linux/bpf.h as generated (`bpf_prog_type`, `xdp_action`, …). */
export type AbiEnum = { readonly [member: string]: number };

/** The member name for a value (`enumName(bpf_prog_type, 6)` → `BPF_PROG_TYPE_XDP`); the first when aliased. */
export function enumName(table: AbiEnum, value: number): string | undefined {
  for (const k in table) if (table[k] === value) return k;
  return undefined;
}

/**
 * Looks a member up by full name or by the short form users type (`xdp`, `XDP` or
 * `BPF_PROG_TYPE_XDP` with prefix `BPF_PROG_TYPE_`).
 */
export function enumValue(table: AbiEnum, prefix: string, name: string): number | undefined {
  const upper = name.toUpperCase();
  return table[upper] ?? table[prefix + upper];
}

export const progTypeByName = (n: string): number | undefined => enumValue(enums.bpf_prog_type, 'BPF_PROG_TYPE_', n);
export const mapTypeByName = (n: string): number | undefined => enumValue(enums.bpf_map_type, 'BPF_MAP_TYPE_', n);
export const attachTypeByName = (n: string): number | undefined => enumValue(enums.bpf_attach_type, 'BPF_', n);
export const linkTypeByName = (n: string): number | undefined => enumValue(enums.bpf_link_type, 'BPF_LINK_TYPE_', n);

/** Short lower-case names (`xdp`, `percpu_array`) as bpftool prints them. */
export const progTypeName = (v: number): string | undefined => enumName(enums.bpf_prog_type, v)?.slice('BPF_PROG_TYPE_'.length).toLowerCase();
export const mapTypeName = (v: number): string | undefined => enumName(enums.bpf_map_type, v)?.slice('BPF_MAP_TYPE_'.length).toLowerCase();
export const attachTypeName = (v: number): string | undefined => enumName(enums.bpf_attach_type, v)?.slice('BPF_'.length).toLowerCase();
export const linkTypeName = (v: number): string | undefined => enumName(enums.bpf_link_type, v)?.slice('BPF_LINK_TYPE_'.length).toLowerCase();
