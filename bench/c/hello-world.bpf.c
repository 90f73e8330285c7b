// Bench anchor: the C equivalent of examples/hello-world.bpf.ts, built with clang -O2 at bench time (as test/corpus/hello.bpf.c).
// The seed's program in C: print a line for every packet, pass it on.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int hello_world(struct xdp_md *ctx)
{
	bpf_printk("packet  received!");
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
