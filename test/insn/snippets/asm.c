// cpus: v3
// Forms C code does not make clang 14 emit (it canonicalises them), written as inline assembly.
void forms(void)
{
	asm volatile(
		"r1 -= 5\n"
		"w1 -= -5\n"
		"r2 = le16 r2\n"
		"r2 = le32 r2\n"
		"r2 = le64 r2\n"
		"if r1 >= 5 goto +0\n"
		"if r1 <= -5 goto +0\n"
		"if r1 s>= 5 goto +0\n"
		"if r1 s<= -5 goto +0\n"
		"if w1 >= 5 goto +0\n"
		"if w1 <= -5 goto +0\n"
		"if w1 s>= 5 goto +0\n"
		"if w1 s<= -5 goto +0\n"
		"r3 = 2147483647\n"
		"r3 = -2147483648\n"
		"w3 = -1\n"
		"r4 = 0x7fffffffffffffff ll\n"
		"r4 = -9223372036854775808 ll\n"
		"r5 = *(u64 *)(r10 - 32768)\n"
		"*(u64 *)(r10 + 32767) = r5\n"
		"goto -1\n"
		::: "r1", "r2", "r3", "r4", "r5");
}
