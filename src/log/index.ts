/** Structured logging from kernel programs (issue 5): the ABI, the kernel-side sequence, the reader and its formats. */
export * from './abi.js';
export { emitLogCall, emitLevelLoad, lostCounterFunction, logObjectParts, type LogCall, type LogCallArg, type LogCallCopy, type LogObjectParts } from './emit.js';
export { LogDecoder, lostNotice } from './decode.js';
export { parseLogFilter, targetLevel, logEnabled, loadTimeLevels, unknownTargets, levelWord, LogFilterError, type LogFilter } from './filter.js';
export { escapeControl, decodeValue, formatArg, formatTime, formatLine, formatJson, jsonValue, LEVEL_LABEL, type LogRecord, type LogValue } from './format.js';
export { LogEntry } from './record.js';
export { LogReader, startLogger, toLogger, type LogReaderOptions, type LogSource, type LogHost, type LogReaderStats, type ObjectLogger, type SubscribeOptions } from './reader.js';
export { logLoadConstants, lostCounter } from './setup.js';
