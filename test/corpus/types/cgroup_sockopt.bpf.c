// cgroup/getsockopt: counts getsockopt calls by the cgroup's processes, keeps the last level and
// option name, and leaves the kernel's answer as it is.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 calls = 0;
__u32 last_level = 0;
__u32 last_optname = 0;

SEC("cgroup/getsockopt")
int cg_getsockopt(struct bpf_sockopt *ctx)
{
	last_level = ctx->level;
	last_optname = ctx->optname;
	__sync_fetch_and_add(&calls, 1);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
