// The kernel side of __NAME__: a kprobe on the kernel function do_sys_openat2: it logs which process opens which file.
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { kprobe, log, probe_read_user_str, get_current_pid_tgid, type u32 } from "tsbpf/kernel";

export const __PROG__ = kprobe("do_sys_openat2", (ctx) => {
  const pid = (get_current_pid_tgid() >> 32) as u32;
  const name = probe_read_user_str(ctx.arg(1), 64);
  if (name) log.info(ctx, "pid {} opens {}", pid, name);
});
