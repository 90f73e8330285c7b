// The kernel side of __NAME__: a program on the raw tracepoint sched_process_exec: it logs every program started (exec).
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { rawTracepoint, log, get_current_pid_tgid, get_current_comm, type u32 } from "tsbpf/kernel";

// A raw tracepoint gets the tracepoint's arguments as they are: TP_PROTO(struct task_struct *p,
// pid_t old_pid, struct linux_binprm *bprm) — ctx.arg(1) is the old pid.
export const __PROG__ = rawTracepoint("sched_process_exec", (ctx) => {
  const pid = (get_current_pid_tgid() >> 32) as u32;
  log.info(ctx, "{} started (pid {}, was {})", get_current_comm(), pid, ctx.arg(1) as u32);
});
