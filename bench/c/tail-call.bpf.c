// Bench anchor: the C equivalent of examples/tail-call.bpf.ts, built with clang -O2 at bench time (as test/corpus/calls.bpf.c).
// Two programs: a dispatcher with a bpf-to-bpf call that tail-calls into a second program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jump_table SEC(".maps");

__u32 tail_hits = 0;

static __noinline int packet_len(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data;
}

SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&tail_hits, 1);
	return packet_len(ctx) > 100 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
	if (packet_len(ctx) < 14)
		return XDP_ABORTED;
	bpf_tail_call(ctx, &jump_table, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
