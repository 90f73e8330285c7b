/**
 * Tracing programs: kprobes and uprobes (and their return probes), tracepoints, raw tracepoints,
 * perf events, and the BTF-typed fentry/fexit/tp_btf/lsm programs.
 *
 *   export const opens = kprobe("do_sys_openat2", (ctx) => {
 *     const name = probe_read_user_str(ctx.arg(1), 64);
 *     if (name) log.info(ctx, "open {}", name);
 *   });
 *
 * Return values of tracing programs are ignored by the kernel: the body may return nothing.
 * Argument registers are x86-64's (pt_regs).
 */
import type { u32, u64, i32, i64, bool, char, FixedArray } from './types.js';
import type { Program } from './programs.js';

/** struct pt_regs on x86-64: the registers at the probe (uapi asm/ptrace.h names). */
export interface PtRegs {
  readonly r15: u64;
  readonly r14: u64;
  readonly r13: u64;
  readonly r12: u64;
  readonly rbp: u64;
  readonly rbx: u64;
  readonly r11: u64;
  readonly r10: u64;
  readonly r9: u64;
  readonly r8: u64;
  readonly rax: u64;
  readonly rcx: u64;
  readonly rdx: u64;
  readonly rsi: u64;
  readonly rdi: u64;
  readonly orig_rax: u64;
  readonly rip: u64;
  readonly cs: u64;
  readonly eflags: u64;
  readonly rsp: u64;
  readonly ss: u64;
}

/** A kprobe's or uprobe's context: the probed function's arguments. */
export interface KprobeContext {
  /** Argument `n` (0-5) of the probed function: rdi, rsi, rdx, rcx, r8, r9. */
  arg(n: 0 | 1 | 2 | 3 | 4 | 5): u64;
  readonly regs: PtRegs;
}

/** A kretprobe's or uretprobe's context: the function's result. */
export interface KretprobeContext {
  /** The return value (rax); cast it to the function's type (`as i32`). */
  ret(): u64;
  readonly regs: PtRegs;
}

/**
 * A tracepoint's context: the fields of its record after the common header, as `Record`
 * declares them (the tracefs format file: events/CATEGORY/NAME/format).
 */
export type TracepointContext<Record = {}> = Readonly<Record>;

/** A raw tracepoint's context: the tracepoint's arguments, as u64 (TP_PROTO order). */
export interface RawTracepointContext {
  arg(n: number): u64;
}

/** A perf event sample: the registers where it hit, the period and the sampled address. */
export interface PerfEventContext {
  readonly regs: PtRegs;
  readonly samplePeriod: u64;
  readonly addr: u64;
}

/** fentry, tp_btf and lsm programs: the arguments of the traced function, tracepoint or hook, as u64. */
export interface TracingContext {
  arg(n: number): u64;
}

/** An fexit program: the arguments and the return value of the traced function. */
export interface FexitContext extends TracingContext {
  /** The function's result (read from the kernel's BTF at build time: it follows the arguments). */
  ret(): u64;
}

type Body<C> = (ctx: C) => number | void;

/** Declares a kprobe on kernel function `fn` (section `kprobe/fn`), or one attached by name later (`kprobe`). */
export declare function kprobe(fn: string, body: Body<KprobeContext>): Program<'kprobe'>;
export declare function kprobe(body: Body<KprobeContext>): Program<'kprobe'>;
/** Declares a return probe on kernel function `fn` (section `kretprobe/fn`). */
export declare function kretprobe(fn: string, body: Body<KretprobeContext>): Program<'kretprobe'>;
export declare function kretprobe(body: Body<KretprobeContext>): Program<'kretprobe'>;
/** Declares a uprobe on `BINARY:FUNCTION` (section `uprobe/BINARY:FUNCTION`), or one attached later (`uprobe`). */
export declare function uprobe(target: string, body: Body<KprobeContext>): Program<'uprobe'>;
export declare function uprobe(body: Body<KprobeContext>): Program<'uprobe'>;
export declare function uretprobe(target: string, body: Body<KretprobeContext>): Program<'uretprobe'>;
export declare function uretprobe(body: Body<KretprobeContext>): Program<'uretprobe'>;
/** Declares a tracepoint program on `CATEGORY/NAME` (section `tracepoint/CATEGORY/NAME`). */
export declare function tracepoint<R = {}>(name: string, body: Body<TracepointContext<R>>): Program<'tracepoint'>;
/** Declares a raw tracepoint program on tracepoint `name` (section `raw_tracepoint/name`). */
export declare function rawTracepoint(name: string, body: Body<RawTracepointContext>): Program<'raw_tracepoint'>;
export declare function rawTracepoint(body: Body<RawTracepointContext>): Program<'raw_tracepoint'>;
/** Declares a perf event program (section `perf_event`); the user side opens the event and sets its period. */
export declare function perfEvent(body: Body<PerfEventContext>): Program<'perf_event'>;
/** Declares an fentry program on kernel function `fn` (BTF trampoline); returns nothing or 0. */
export declare function fentry(fn: string, body: (ctx: TracingContext) => 0 | void): Program<'fentry'>;
/** Declares an fexit program on kernel function `fn`; returns nothing or 0. */
export declare function fexit(fn: string, body: (ctx: FexitContext) => 0 | void): Program<'fexit'>;
/** Declares a BTF-typed tracepoint program (section `tp_btf/name`). */
export declare function tpBtf(name: string, body: Body<TracingContext>): Program<'tp_btf'>;
/** Declares an LSM program on hook `name` (section `lsm/name`): 0 allows, a negative errno denies. */
export declare function lsm(hook: string, body: (ctx: TracingContext) => i32): Program<'lsm'>;

/** The current task: tgid (the process id) in the upper 32 bits, the thread id in the lower. */
export declare function get_current_pid_tgid(): u64;
/** The current task: gid in the upper 32 bits, uid in the lower. */
export declare function get_current_uid_gid(): u64;
export declare function get_current_cgroup_id(): u64;
/** The current task's name (comm), NUL-padded. */
export declare function get_current_comm(): FixedArray<char, 16>;
/** A copy of the struct `T` at kernel address `ptr`, or null when it cannot be read. */
export declare function probe_read_kernel<T extends object>(ptr: u64): T | null;
/** A copy of the struct `T` at user-space address `ptr` (of the current process), or null. */
export declare function probe_read_user<T extends object>(ptr: u64): T | null;
/** The NUL-terminated string at kernel address `ptr`, at most `size` bytes (≤ 256), or null. */
export declare function probe_read_kernel_str<N extends number>(ptr: u64, size: N): FixedArray<char, N> | null;
/** The NUL-terminated string at user-space address `ptr`, at most `size` bytes (≤ 256), or null. */
export declare function probe_read_user_str<N extends number>(ptr: u64, size: N): FixedArray<char, N> | null;

/** syscalls/sys_enter_openat. */
export interface SysEnterOpenat {
  __syscall_nr: i32;
  dfd: i64;
  /** A user-space pointer: read it with probe_read_user_str. */
  filename: u64;
  flags: i64;
  mode: u64;
}
/** syscalls/sys_exit_* (every syscall's exit). */
export interface SysExit {
  __syscall_nr: i32;
  ret: i64;
}
/** raw_syscalls/sys_enter. */
export interface RawSysEnter {
  id: i64;
  args: FixedArray<u64, 6>;
}
/** raw_syscalls/sys_exit. */
export interface RawSysExit {
  id: i64;
  ret: i64;
}
/** sched/sched_switch. */
export interface SchedSwitch {
  prev_comm: FixedArray<char, 16>;
  prev_pid: i32;
  prev_prio: i32;
  prev_state: i64;
  next_comm: FixedArray<char, 16>;
  next_pid: i32;
  next_prio: i32;
}
/** sched/sched_process_exit. */
export interface SchedProcessExit {
  comm: FixedArray<char, 16>;
  pid: i32;
  prio: i32;
  group_dead: bool;
}
/** sched/sched_process_exec (the file name is a __data_loc: offset in the low 16 bits, length in the high). */
export interface SchedProcessExec {
  filename_loc: u32;
  pid: i32;
  old_pid: i32;
}
