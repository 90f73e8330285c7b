// Every atomic the kernel accepts on 64- and 32-bit globals.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 a64 = 0, b64 = 0, c64 = 0, d64 = 0, e64 = 0, f64 = 0;
__u32 a32 = 0, b32 = 0, c32 = 0;
__u64 results[8];

SEC("xdp")
int atomics(struct xdp_md *ctx)
{
	__u64 v = ctx->data_end - ctx->data;
	__sync_fetch_and_add(&a64, 1);
	results[0] = __sync_fetch_and_add(&b64, v);
	__sync_fetch_and_and(&c64, 0xff);
	__sync_fetch_and_or(&d64, 0x100);
	results[1] = __sync_fetch_and_xor(&e64, v);
	results[2] = __sync_lock_test_and_set(&f64, v);
	results[3] = __sync_val_compare_and_swap(&a64, 1, 42);
	__sync_fetch_and_add(&a32, 1);
	results[4] = __sync_fetch_and_or(&b32, 2);
	results[5] = __sync_val_compare_and_swap(&c32, 0, 7);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
