// Bench producer (rows 4 and 7): every run reserves one RECORD_SIZE-byte record in the ring buffer
// `records`, writes its sequence number into the first 8 bytes and submits it. `produced` counts
// runs and `failed` counts reservations refused because the ring was full, so
// consumed + failed = produced tells how much each consumer kept up with.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef RECORD_SIZE
#define RECORD_SIZE 32
#endif

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} records SEC(".maps");

__u64 produced = 0;
__u64 failed = 0;

SEC("xdp")
int rb_produce(struct xdp_md *ctx)
{
	__u64 seq = __sync_fetch_and_add(&produced, 1);
	__u64 *rec = bpf_ringbuf_reserve(&records, RECORD_SIZE, 0);
	if (!rec) {
		__sync_fetch_and_add(&failed, 1);
		return XDP_PASS;
	}
	rec[0] = seq;
	bpf_ringbuf_submit(rec, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
