/** The BPF object model: parse an ELF object into programs, maps and globals; emit one back. */
export { ObjectError } from './error.js';
export type { BpfObject, BpfProgram, BpfFunction, BpfMap, DataVariable, ProgramReloc, FuncInfoRecord, LineInfoRecord } from './model.js';
export { parseObject } from './parse.js';
export { sectionProgramType, knownSectionConventions, type SectionProgramType } from './section-types.js';
export { fixupDatasecs } from './btf-fixup.js';
export { emitObject, type EmitInput, type EmitFunction, type EmitData, type EmitMap } from './emit.js';
export { LOG_META_SECTION, LOG_META_VERSION, LOG_MAX_RECORD, LOG_LEVELS, LOG_KINDS, LOG_HINTS, levelNumber, hintAllowed, isIntKind, validateLogMeta, parseLogMeta, readLogMeta, encodeLogMeta, addLogMeta, type LogMeta, type LogSite, type LogArg, type LogKind, type LogHint, type LogLevelName } from './log-meta.js';
