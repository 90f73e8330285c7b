// The C equivalent of examples/uprobe-getpid.bpf.ts: counts getpid() calls per process (uprobe)
// and logs each result as the same tsbpf log record (uretprobe, site 0, debug).
#include <linux/bpf.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf_log.h"

const volatile __u32 tsbpf_log_levels[1] = { TSBPF_LOG_INFO }; /* getpid_exit */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4096);
} calls SEC(".maps");

SEC("uprobe/libc.so.6:getpid")
int getpid_entry(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1;
	__u64 *n = bpf_map_lookup_elem(&calls, &tgid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&calls, &tgid, &one, BPF_NOEXIST);
	return 0;
}

/* "getpid() = {}" */
struct getpid_record {
	__u32 id;
	__s32 ret;
};

SEC("uretprobe/libc.so.6:getpid")
int getpid_exit(struct pt_regs *ctx)
{
	if (tsbpf_log_levels[0] >= TSBPF_LOG_DEBUG) {
		struct getpid_record rec = { .id = 0, .ret = (__s32)ctx->rax };
		tsbpf_log_output(rec);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
