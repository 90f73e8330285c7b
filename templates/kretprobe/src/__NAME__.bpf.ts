// The kernel side of __NAME__: a kretprobe on the kernel function do_sys_openat2: it logs the file descriptors it returns (negative: an error).
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { kretprobe, log, type i64 } from "tsbpf/kernel";

export const __PROG__ = kretprobe("do_sys_openat2", (ctx) => {
  log.info(ctx, "do_sys_openat2 returned {}", ctx.ret() as i64);
});
