// The kernel side of __NAME__: an fentry program on the kernel function do_unlinkat: it logs every file removal attempt (a BTF trampoline: cheaper than a kprobe).
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { fentry, log, get_current_pid_tgid, type u32, type i32 } from "tsbpf/kernel";

export const __PROG__ = fentry("do_unlinkat", (ctx) => {
  const pid = (get_current_pid_tgid() >> 32) as u32;
  log.info(ctx, "pid {} unlinks (dfd {})", pid, ctx.arg(0) as i32);
});
