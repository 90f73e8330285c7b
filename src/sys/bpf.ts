/**
 * The bpf(2) system call, typed: one wrapper per command, grouped by object kind. This file is
 * the entry point other layers import; the implementation lives in the bpf-*.ts files.
 */
export { Fd, fdNum, type FdLike } from './bpf-fd.js';
export { attrFor, bpf, bpfRaw, bpfError, Attr, type BpfCmd, type FieldName } from './bpf-attr.js';
export {
  mapCreate, suspectMapAttr, mapLookupElem, mapUpdateElem, mapDeleteElem, mapGetNextKey,
  mapLookupAndDeleteElem, mapFreeze, mapLookupBatch, mapLookupAndDeleteBatch, mapUpdateBatch, mapDeleteBatch,
  type MapCreateOptions, type BatchLookup, type BatchResult,
} from './bpf-map.js';
export {
  progLoad, progTestRun, progAttach, progDetach, progQuery,
  type ProgLoadOptions, type LoadedProg, type TestRunOptions, type TestRunResult, type ProgAttachOptions, type ProgQueryResult,
} from './bpf-prog.js';
export {
  objPin, objGet, getNextId, allIds, getFdById, objGetInfo, InfoView, progInfo, mapInfo, linkInfo, btfInfo,
  btfLoad, BtfLoadError, type ObjKind, type ProgInfo, type MapInfo, type LinkInfo, type BtfInfo,
} from './bpf-obj.js';
export { linkCreate, linkUpdate, linkDetach, type LinkCreateOptions } from './bpf-link.js';
export { SysError, VerifierError, E, errnoName, errnoMessage, hintFor, diagnoseVerifierLog, type VerifierDiagnosis } from './errors.js';
export { possibleCpus, onlineCpus, parseCpuList } from './bpf-cpus.js';
