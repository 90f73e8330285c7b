/**
 * BTF type records as TypeScript values (layout: uapi linux/btf.h). The reader produces them,
 * the builder encodes them; names are strings here, string-table offsets only on the wire.
 */

export const BTF_MAGIC = 0xeb9f;
export const BTF_HEADER_SIZE = 24;
export const BTF_TYPE_SIZE = 12;

export const KIND = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9,
  CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17,
  TYPE_TAG: 18, ENUM64: 19,
} as const;
export type BtfKindName = Exclude<keyof typeof KIND, 'UNKN'>;
export const KIND_NAMES: readonly string[] = Object.keys(KIND);

/** BTF_INT_* encoding bits. */
export const INT_SIGNED = 1;
export const INT_CHAR = 2;
export const INT_BOOL = 4;

/** BTF_FUNC_* linkage of FUNC records; VAR linkage uses 0 static, 1 global, 2 extern too. */
export const LINKAGE_STATIC = 0;
export const LINKAGE_GLOBAL = 1;
export const LINKAGE_EXTERN = 2;
export const LINKAGE_NAMES = ['static', 'global', 'extern'] as const;

export interface BtfMember {
  name: string;
  type: number;
  /** Offset of the member from the start of the struct, in bits. */
  bitOffset: number;
  /** Bitfield width in bits; 0 when the member is not a bitfield (or uses the old INT encoding). */
  bitSize: number;
}
export interface BtfParam { name: string; type: number }
export interface BtfEnumValue { name: string; value: number }
export interface BtfEnum64Value { name: string; value: bigint }
export interface BtfVarSecinfo { type: number; offset: number; size: number }

export type BtfTypeBody =
  | { kind: 'INT'; name: string; size: number; bits: number; bitOffset: number; encoding: number }
  | { kind: 'PTR'; name: string; type: number }
  | { kind: 'ARRAY'; name: string; type: number; indexType: number; nelems: number }
  | { kind: 'STRUCT' | 'UNION'; name: string; size: number; members: BtfMember[]; /** kind_flag: members carry bitfield sizes. */ bitfields: boolean }
  | { kind: 'ENUM'; name: string; size: number; signed: boolean; values: BtfEnumValue[] }
  | { kind: 'ENUM64'; name: string; size: number; signed: boolean; values: BtfEnum64Value[] }
  | { kind: 'FWD'; name: string; union: boolean }
  | { kind: 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT' | 'TYPE_TAG'; name: string; type: number; /** TYPE_TAG with kind_flag: an `__attribute__((…))` rather than btf_type_tag (Linux 6.14+ vmlinux). */ attribute?: boolean }
  | { kind: 'FUNC'; name: string; type: number; linkage: number }
  | { kind: 'FUNC_PROTO'; name: string; returnType: number; params: BtfParam[] }
  | { kind: 'VAR'; name: string; type: number; linkage: number }
  | { kind: 'DATASEC'; name: string; size: number; vars: BtfVarSecinfo[] }
  | { kind: 'FLOAT'; name: string; size: number }
  | { kind: 'DECL_TAG'; name: string; type: number; /** -1 for the type itself, else member/param index. */ componentIdx: number; /** kind_flag: an `__attribute__((…))` (Linux 6.14+). */ attribute?: boolean };

/** A type as read: its id and where its record sits in the .BTF section (for in-place fix-ups). */
export type BtfType = BtfTypeBody & { id: number; /** Offset of the record from the start of the BTF section. */ offset: number };

/** Type id 0: void. */
export interface BtfVoid { kind: 'VOID'; id: 0; name: '' }
