// The kernel side of __NAME__: a BTF-typed tracepoint program on sched_process_exec: it logs every program started.
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { tpBtf, log, get_current_pid_tgid, get_current_comm, type u32 } from "tsbpf/kernel";

export const __PROG__ = tpBtf("sched_process_exec", (ctx) => {
  const pid = (get_current_pid_tgid() >> 32) as u32;
  log.info(ctx, "{} started (pid {}, was {})", get_current_comm(), pid, ctx.arg(1) as u32);
});
