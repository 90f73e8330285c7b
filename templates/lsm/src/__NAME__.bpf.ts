// The kernel side of __NAME__: an LSM program on the file_open hook: it logs file opens and allows them (returning a negative errno would deny).
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { lsm, log, get_current_pid_tgid, type u32 } from "tsbpf/kernel";

export const __PROG__ = lsm("file_open", (ctx) => {
  const pid = (get_current_pid_tgid() >> 32) as u32;
  log.debug(ctx, "pid {} opens a file", pid);
  return 0;
});
