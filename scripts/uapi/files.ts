/**
 * Where the generators read and write (the installed uapi headers, the committed supplement, the
 * generated files' folder), reading their inputs, and telling a script run by node from one
 * imported. Paths are relative to this module's compiled copy (dist/scripts/uapi/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_HEADER = '/usr/include/linux/bpf.h';
/** Newer uapi facts merged over the header (committed in scripts/). */
export const SUPPLEMENT_PATH = fileURLToPath(new URL('../../../scripts/uapi-supplement.h', import.meta.url));
/** How messages and generated files name the supplement. */
export const SUPPLEMENT_NAME = 'scripts/uapi-supplement.h';
/** Folder of the committed generated files (src/abi relative to the repository root). */
export const ABI_DIR = fileURLToPath(new URL('../../../src/abi/', import.meta.url));
/** gen-attr's one output file. */
export const ATTR_OUTPUT_PATH = fileURLToPath(new URL('../../../src/abi/attr.gen.ts', import.meta.url));

export interface AbiHeaders {
  /** Text of linux/bpf.h. */
  bpf: string;
  /** Text of linux/bpf_common.h. */
  common: string;
  /** Text of linux/if_link.h (only its XDP_* constants are used); '' to skip. */
  ifLink: string;
  /** Text of scripts/uapi-supplement.h; absent or '' for the header alone. */
  supplement?: string;
}

/**
 * gen-abi's inputs: bpf.h and its siblings, and the supplement (`null`: none); a missing
 * if_link.h is tolerated (XDP_FLAGS_* are then absent).
 */
export function readHeaders(bpfPath: string = DEFAULT_HEADER, supplementPath: string | null = SUPPLEMENT_PATH): AbiHeaders {
  const dir = dirname(bpfPath);
  const ifLink = join(dir, 'if_link.h');
  return {
    bpf: readFileSync(bpfPath, 'utf8'),
    common: readFileSync(join(dir, 'bpf_common.h'), 'utf8'),
    ifLink: existsSync(ifLink) ? readFileSync(ifLink, 'utf8') : '',
    supplement: supplementPath === null ? '' : readFileSync(supplementPath, 'utf8'),
  };
}

/** gen-attr's supplement: its text, or null when there is none. */
export function readSupplement(path: string = SUPPLEMENT_PATH): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** True in the module node was started with (`node dist/scripts/gen-abi.js`), false when imported. */
export function isMainModule(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(moduleUrl) === process.argv[1];
}
