// The C equivalent of examples/tracepoint-openat.bpf.ts: counts openat(2) calls by flags and
// logs each file name as the same tsbpf log record (site 0, info).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf_log.h"

const volatile __u32 target_pid = 0;
const volatile __u32 tsbpf_log_levels[1] = { TSBPF_LOG_INFO }; /* openat_log */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, __u64);
	__uint(max_entries, 1024);
} opens SEC(".maps");

/* syscalls/sys_enter_openat as its format file lays it out */
struct sys_enter_openat {
	__u64 common;
	int __syscall_nr;
	long dfd;
	const char *filename;
	long flags;
	__u64 mode;
};

/* "pid {} opens {} (flags {:x})" */
struct openat_record {
	__u32 id;
	__u32 pid;
	__u64 flags;
	char name[128];
};

SEC("tracepoint/syscalls/sys_enter_openat")
int openat_log(struct sys_enter_openat *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	if (target_pid != 0 && pid != target_pid)
		return 0;
	__u64 flags = ctx->flags, one = 1;
	__u64 *n = bpf_map_lookup_elem(&opens, &flags);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&opens, &flags, &one, BPF_NOEXIST);
	char name[128] __attribute__((aligned(8))); /* as tsbpf aligns it: copied 8 bytes at a time */
	if (bpf_probe_read_user_str(name, sizeof(name), ctx->filename) < 0)
		return 0;
	if (tsbpf_log_levels[0] >= TSBPF_LOG_INFO) {
		struct openat_record rec;
		rec.id = 0;
		rec.pid = pid;
		rec.flags = flags;
		__builtin_memcpy(rec.name, name, sizeof(name));
		tsbpf_log_output(rec);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
