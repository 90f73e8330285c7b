// The kernel side of __NAME__: a uprobe on libc's getpid(): it logs every process that calls it.
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { uprobe, log, get_current_pid_tgid, get_current_comm, type u32 } from "tsbpf/kernel";

export const __PROG__ = uprobe("libc.so.6:getpid", (ctx) => {
  const pid = (get_current_pid_tgid() >> 32) as u32;
  log.info(ctx, "{} ({}) calls getpid()", get_current_comm(), pid);
});
