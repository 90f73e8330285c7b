// The kernel side of __NAME__: a uretprobe on libc's getpid(): it logs what every call returns.
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { uretprobe, log, type i32 } from "tsbpf/kernel";

export const __PROG__ = uretprobe("libc.so.6:getpid", (ctx) => {
  log.info(ctx, "getpid() returned {}", ctx.ret() as i32);
});
