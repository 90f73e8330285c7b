/** Attaching loaded programs: one module per mechanism, `planAttach` to pick one from the section. */
export { AttachError, LinkAttachment, type Attachment, type AttachKind, type ProgramRef } from './common.js';
export { attachXdp, detachAllXdp, XdpAttachment, XdpBusyError, XdpAttachError, XDP_ATTACH_MODES, type XdpAttachMode, type XdpAttachOptions, type XdpProgramRef } from './xdp.js';
export { attachTc, tcAutoAttach, TcAttachment, TC_ATTACH_MODES, TC_DIRECTIONS, type TcAnyAttachment, type TcAttachMode, type TcAttachOptions, type TcDirection } from './tc.js';
export { attachTcx, tcxQuery, TcxAttachment, TcxUnsupportedError, type TcxAttachOptions, type TcxOrder, type TcxRelative } from './tcx.js';
export { attachKprobe, parseKprobeTarget, type KprobeOptions } from './kprobe.js';
export { attachUprobe, parseUprobeTarget, resolveBinary, findHostSymbol, type UprobeOptions, type UprobeTarget } from './uprobe.js';
export { attachTracepoint, attachRawTracepoint, tracepointId, listTracepoints } from './tracepoint.js';
export { attachTracing } from './tracing.js';
export { attachCgroup, openCgroup, cgroup2Mounts, DEFAULT_CGROUP } from './cgroup.js';
export { attachPerfEvent, PerfEventAttachment, PERF_EVENTS, type PerfEventAttachOptions } from './perf-event.js';
export { attachSocketFilter, attachToSockMap } from './socket.js';
export { planAttach, type AttachPlan, type AutoAttachOptions, type PlanProgram, type AttachEnv } from './plan.js';
export { attachmentStatus, linkStatus, tcStatus, tcxStatus, type AttachmentStatus, type LinkStatus, type TcFilterStatus, type TcxProgramStatus } from './status.js';
export { attachProgram, planFor } from './auto.js';
export { ATTACHABLE_TEMPLATE_TYPES, NOT_RUNNABLE_TEMPLATE_TYPES } from './supported.js';
