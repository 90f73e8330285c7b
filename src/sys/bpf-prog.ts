/**
 * bpf(2) program commands: PROG_LOAD (verifier log on failure, growing the log buffer on
 * ENOSPC), PROG_TEST_RUN, PROG_ATTACH/DETACH and PROG_QUERY.
 */
import { attr as A } from '../abi/attr.gen.js';
import { attrFor, bpf, bpfError, bpfRaw, scratch } from './bpf-attr.js';
import { E, SysError, VerifierError } from './errors.js';
import { Fd, fdNum, type FdLike } from './bpf-fd.js';
import { pinnedBytes, addressOf } from './libc.js';

export interface ProgLoadOptions {
  /** `bpf_prog_type` value. */
  type: number;
  /** Encoded instructions, 8 bytes each. */
  insns: Uint8Array;
  license: string;
  /** Truncated to 15 characters. */
  name?: string;
  expectedAttachType?: number;
  progFlags?: number;
  ifindex?: number;
  kernVersion?: number;
  btfFd?: FdLike;
  /** Packed `struct bpf_func_info` records (insn_off in instructions) and their size. */
  funcInfo?: Uint8Array;
  funcInfoRecSize?: number;
  lineInfo?: Uint8Array;
  lineInfoRecSize?: number;
  attachBtfId?: number;
  attachProgFd?: FdLike;
  attachBtfObjFd?: FdLike;
  /**
   * 0 (default): load without a log and, if the verifier refuses, load again with level 1 to
   * explain why. 1 or 2: always collect the log (returned as `log`).
   */
  logLevel?: number;
  /** Initial log buffer size in bytes (default 1 MiB; grown ×4 up to 256 MiB on ENOSPC). */
  logSize?: number;
}

export interface LoadedProg {
  fd: Fd;
  /** The verifier log when one was collected (logLevel > 0), else ''. */
  log: string;
}

const LOG_START = 1 << 20;
// Kernels before 5.2 cap log_size at UINT32_MAX >> 8; later ones allow more. Stop well before.
const LOG_MAX = 256 << 20;

/** BPF_PROG_LOAD → a new program fd owned by the caller; VerifierError when the verifier refuses. */
export function progLoad(o: ProgLoadOptions): LoadedProg {
  const name = o.name ?? '';
  if (o.insns.byteLength === 0 || o.insns.byteLength % 8 !== 0) {
    throw new SysError(`bpf(BPF_PROG_LOAD) for prog '${name}'`, E.EINVAL, `the program is ${o.insns.byteLength} bytes, not a non-empty multiple of 8 (one instruction)`);
  }
  const insns = pinnedCopy(o.insns);
  const license = pinnedCopy(Buffer.from(`${o.license}\0`, 'utf8'));
  const funcInfo = o.funcInfo && o.funcInfo.byteLength ? pinnedCopy(o.funcInfo) : undefined;
  const lineInfo = o.lineInfo && o.lineInfo.byteLength ? pinnedCopy(o.lineInfo) : undefined;
  const attempt = (logLevel: number, log?: Uint8Array): number => {
    const a = attrFor(A.prog_load)
      .set('prog_type', o.type)
      .set('insn_cnt', o.insns.byteLength / 8)
      .set('insns', insns.addr)
      .set('license', license.addr)
      .set('log_level', logLevel)
      .set('log_size', log ? log.byteLength : 0)
      .set('log_buf', log ? addressOf(log) : 0n)
      .set('kern_version', o.kernVersion ?? 0)
      .set('prog_flags', o.progFlags ?? 0)
      .set('prog_ifindex', o.ifindex ?? 0)
      .set('expected_attach_type', o.expectedAttachType ?? 0)
      .set('prog_btf_fd', o.btfFd !== undefined ? fdNum(o.btfFd) : 0)
      .set('attach_btf_id', o.attachBtfId ?? 0);
    if (name) a.setName('prog_name', name);
    if (funcInfo) a.set('func_info_rec_size', o.funcInfoRecSize ?? 8).set('func_info', funcInfo.addr).set('func_info_cnt', o.funcInfo!.byteLength / (o.funcInfoRecSize ?? 8));
    if (lineInfo) a.set('line_info_rec_size', o.lineInfoRecSize ?? 16).set('line_info', lineInfo.addr).set('line_info_cnt', o.lineInfo!.byteLength / (o.lineInfoRecSize ?? 16));
    if (o.attachProgFd !== undefined) a.set('attach_prog_fd', fdNum(o.attachProgFd));
    else if (o.attachBtfObjFd !== undefined) a.set('attach_btf_obj_fd', fdNum(o.attachBtfObjFd));
    return bpfRaw('BPF_PROG_LOAD', a);
  };
  const what = `prog '${name}'`;
  const level = o.logLevel ?? 0;
  if (level === 0) {
    const r = attempt(0);
    if (r >= 0) return { fd: new Fd(r, what), log: '' };
    // Privilege and resource errors are not the verifier's; report them as they are.
    if (-r !== E.EACCES && -r !== E.EINVAL && -r !== E.E2BIG && -r !== E.ERANGE && -r !== E.EFAULT) throw bpfError('BPF_PROG_LOAD', -r, what);
  }
  for (let size = Math.max(o.logSize ?? LOG_START, 4096); ; size *= 4) {
    const log = pinnedBytes(size);
    const r = attempt(Math.max(level, 1), log);
    const text = logText(log);
    if (r >= 0) return { fd: new Fd(r, what), log: text };
    const err = -r;
    // ENOSPC: the log did not fit (with a rotating log the tail, where the cause is, survives).
    if (err === E.ENOSPC && size * 4 <= LOG_MAX) continue;
    if (err === E.EPERM || (text.trim() === '' && err !== E.ENOSPC)) throw bpfError('BPF_PROG_LOAD', err, what);
    throw new VerifierError(name, err, text, err === E.ENOSPC);
  }
}

function logText(log: Uint8Array): string {
  const end = log.indexOf(0);
  return Buffer.from(log.buffer, log.byteOffset, end < 0 ? log.byteLength : end).toString('utf8');
}

function pinnedCopy(src: Uint8Array): { bytes: Uint8Array; addr: bigint } {
  const bytes = pinnedBytes(src.byteLength);
  bytes.set(src);
  return { bytes, addr: addressOf(bytes) };
}

export interface TestRunOptions {
  /** Input packet (data_in). */
  data?: Uint8Array;
  /** Room for the output packet; default data length + 512 (XDP may grow the packet at the head); 0: none passed. */
  dataSizeOut?: number;
  /** Input context (e.g. `struct xdp_md`, `struct __sk_buff`). */
  ctxIn?: Uint8Array;
  /** Room for the output context; default the input context's length; 0: none passed. */
  ctxSizeOut?: number;
  repeat?: number;
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

export interface TestRunResult {
  retval: number;
  /** Average duration of one run in ns, as the kernel reports it. */
  duration: number;
  data: Uint8Array;
  ctx?: Uint8Array;
}

/** BPF_PROG_TEST_RUN (BPF_PROG_RUN). Grows the output buffers once if the kernel says ENOSPC. */
export function progTestRun(fd: FdLike, o: TestRunOptions): TestRunResult {
  const dataIn = o.data ?? new Uint8Array(0);
  let outSize = o.dataSizeOut ?? dataIn.byteLength + 512;
  let ctxOutSize = o.ctxSizeOut ?? o.ctxIn?.byteLength ?? 0;
  const what = typeof fd === 'number' ? `prog fd ${fd}` : fd.what;
  for (let tries = 0; ; tries++) {
    // no room asked for: no buffer passed (raw tracepoint runs refuse any output buffer)
    const dataOut = outSize ? pinnedBytes(outSize) : undefined;
    const ctxOut = ctxOutSize ? pinnedBytes(ctxOutSize) : undefined;
    const a = attrFor(A.test)
      .set('prog_fd', fdNum(fd))
      .set('data_size_in', dataIn.byteLength)
      .set('data_size_out', outSize)
      .set('data_in', dataIn.byteLength ? scratch.value.put(dataIn) : 0n)
      .set('data_out', dataOut ? addressOf(dataOut) : 0n)
      .set('repeat', o.repeat ?? 1)
      .set('ctx_size_in', o.ctxIn?.byteLength ?? 0)
      .set('ctx_size_out', ctxOutSize)
      .set('ctx_in', o.ctxIn?.byteLength ? scratch.key.put(o.ctxIn) : 0n)
      .set('ctx_out', ctxOut ? addressOf(ctxOut) : 0n)
      .set('flags', o.flags ?? 0)
      .set('cpu', o.cpu ?? 0)
      .set('batch_size', o.batchSize ?? 0);
    const r = bpfRaw('BPF_PROG_TEST_RUN', a);
    if (r === -E.ENOSPC && tries === 0 && (outSize || ctxOutSize)) {
      outSize = Math.max(outSize, a.get('data_size_out'), outSize * 2);
      ctxOutSize = Math.max(ctxOutSize, a.get('ctx_size_out'));
      continue;
    }
    if (r < 0) throw bpfError('BPF_PROG_TEST_RUN', -r, what);
    const outLen = Math.min(a.get('data_size_out'), outSize);
    const ctxLen = Math.min(a.get('ctx_size_out'), ctxOutSize);
    return {
      retval: a.get('retval'),
      duration: a.get('duration'),
      data: dataOut ? Uint8Array.prototype.slice.call(dataOut, 0, outLen) : new Uint8Array(0),
      ctx: ctxOut ? Uint8Array.prototype.slice.call(ctxOut, 0, ctxLen) : undefined,
    };
  }
}

export interface ProgAttachOptions {
  targetFd: FdLike;
  progFd: FdLike;
  attachType: number;
  flags?: number;
  replaceProgFd?: FdLike;
}

/** BPF_PROG_ATTACH (cgroup, sockmap, flow dissector, …: the attach types without links). */
export function progAttach(o: ProgAttachOptions): void {
  const a = attrFor(A.prog_attach)
    .set('target_fd', fdNum(o.targetFd))
    .set('attach_bpf_fd', fdNum(o.progFd))
    .set('attach_type', o.attachType)
    .set('attach_flags', o.flags ?? 0)
    .set('replace_bpf_fd', o.replaceProgFd !== undefined ? fdNum(o.replaceProgFd) : 0);
  bpf('BPF_PROG_ATTACH', a);
}

/** BPF_PROG_DETACH (progFd may be omitted for attach points holding a single program). */
export function progDetach(o: { targetFd: FdLike; progFd?: FdLike; attachType: number }): void {
  const a = attrFor(A.prog_attach)
    .set('target_fd', fdNum(o.targetFd))
    .set('attach_bpf_fd', o.progFd !== undefined ? fdNum(o.progFd) : 0)
    .set('attach_type', o.attachType);
  bpf('BPF_PROG_DETACH', a);
}

export interface ProgQueryResult {
  attachFlags: number;
  progIds: number[];
}

/** BPF_PROG_QUERY: the ids of the programs attached at (target, attach type). */
export function progQuery(o: { targetFd: FdLike; attachType: number; queryFlags?: number }): ProgQueryResult {
  for (let cap = 64; ; cap *= 4) {
    const ids = pinnedBytes(cap * 4);
    const a = attrFor(A.query)
      .set('target_fd', fdNum(o.targetFd))
      .set('attach_type', o.attachType)
      .set('query_flags', o.queryFlags ?? 0)
      .set('prog_ids', addressOf(ids))
      .set('prog_cnt', cap);
    const r = bpfRaw('BPF_PROG_QUERY', a);
    const cnt = a.get('prog_cnt');
    if (r === -E.ENOSPC && cnt > cap) continue;
    if (r < 0) throw bpfError('BPF_PROG_QUERY', -r);
    const view = new DataView(ids.buffer, ids.byteOffset, ids.byteLength);
    const progIds: number[] = [];
    for (let i = 0; i < Math.min(cnt, cap); i++) progIds.push(view.getUint32(i * 4, true));
    return { attachFlags: a.get('attach_flags'), progIds };
  }
}

