// The C equivalent of examples/tracepoint-openat.bpf.ts, without the log line (compared by the
// counts both leave for the same openat calls).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_pid = 0;

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
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
