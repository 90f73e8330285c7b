/** BTF and BTF.ext readers, writer and type queries. */
export { BtfError } from './error.js';
export * from './types.js';
export { Btf, type BtfHeaderInfo, type MemberInfo } from './btf.js';
export { parseBtf, type ParseBtfOptions } from './reader.js';
export { BtfBuilder, type IntOptions, type MemberInput } from './builder.js';
export { parseBtfExt, encodeBtfExt, CORE_RELO_KINDS, type BtfExt, type ExtSection, type FuncInfo, type LineInfo, type CoreRelo } from './ext.js';
