// Bench anchor: the C equivalent of examples/ringbuf-events.bpf.ts, built with clang -O2 at bench time (as test/corpus/ringbuf.bpf.c).
// Ring-buffer producer: one event per packet with a sequence number, length and timestamp.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u64 seq;
	__u64 ts;
	__u32 len;
	__u32 ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

__u64 next_seq = 0;

SEC("xdp")
int ringbuf_events(struct xdp_md *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return XDP_PASS;
	e->seq = __sync_fetch_and_add(&next_seq, 1);
	e->ts = bpf_ktime_get_ns();
	e->len = ctx->data_end - ctx->data;
	e->ifindex = ctx->ingress_ifindex;
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
