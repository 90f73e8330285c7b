// The C equivalent of examples/kprobe-openat.bpf.ts: a kprobe on do_sys_openat2(dfd, filename,
// how) logging who opens what with the open_how flags (site 0, info), and a kretprobe logging
// failed opens (site 1, warn), as the same tsbpf log records. Arguments come from x86-64's
// registers, as ctx.arg(n) reads them.
#include <linux/bpf.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf_log.h"

const volatile __u32 tsbpf_log_levels[2] = { TSBPF_LOG_INFO, TSBPF_LOG_INFO }; /* openat2_entry, openat2_exit */

/* struct open_how (include/uapi/linux/openat2.h) */
struct open_how {
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

/* "{} ({}) opens {} flags {:x}" */
struct open_record {
	__u32 id;
	__u32 pid;
	__u64 flags;
	char comm[16];
	char name[128];
};

/* "open failed: {}" */
struct failed_record {
	__u32 id;
	__u32 pad;
	__s64 fd;
};

SEC("kprobe/do_sys_openat2")
int openat2_entry(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	char name[128] __attribute__((aligned(8))); /* as tsbpf aligns it: copied 8 bytes at a time */
	struct open_how how;
	long name_len = bpf_probe_read_user_str(name, sizeof(name), (const void *)ctx->rsi);
	long how_err = bpf_probe_read_kernel(&how, sizeof(how), (const void *)ctx->rdx);
	if (name_len < 0 || how_err < 0)
		return 0;
	if (tsbpf_log_levels[0] >= TSBPF_LOG_INFO) {
		struct open_record rec;
		rec.id = 0;
		rec.pid = pid;
		rec.flags = how.flags;
		bpf_get_current_comm(rec.comm, sizeof(rec.comm));
		__builtin_memcpy(rec.name, name, sizeof(name));
		tsbpf_log_output(rec);
	}
	return 0;
}

SEC("kretprobe/do_sys_openat2")
int openat2_exit(struct pt_regs *ctx)
{
	__s64 fd = ctx->rax;
	if (fd < 0 && tsbpf_log_levels[1] >= TSBPF_LOG_WARN) {
		struct failed_record rec = { .id = 1, .pad = 0, .fd = fd };
		tsbpf_log_output(rec);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
