/** Shapes of the generated ABI tables (src/abi/*.gen.ts). */

/** One C signature of a helper as the uapi doc comment spells it: types are normalised C text. */
export interface HelperSig {
  /** Return type, e.g. `long`, `void *`, `struct bpf_sock *`. */
  readonly ret: string;
  /** Arguments as [C type, name], e.g. ['const char *', 'fmt']. */
  readonly args: readonly (readonly [type: string, name: string])[];
  /** True when the prototype ends in `...` (trace_printk). */
  readonly variadic?: boolean;
}

/** A generated helper row: [id, name without `bpf_`, signatures (several when the docs list overloads)]. */
export type HelperRow = readonly [id: number, name: string, sigs: readonly HelperSig[]];
