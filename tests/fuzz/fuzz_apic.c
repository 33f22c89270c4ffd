/* libFuzzer harness for what Keel does with a guest's local-APIC write:
 * hv/insn.c (decoding the store), hv/gva.c (walking the guest's page
 * tables to fetch it) and hv/ipi.c (the ICR filter), all fed from the
 * guest's side. Input: a mode byte, 32 bytes of paging registers and an
 * address, 16 bytes of ICR and APIC identity, then the instruction bytes,
 * which also serve as the guest's memory for the walk. Checks:
 *   insn: an accepted store is 1..15 bytes inside the input, its register
 *         0..15, and its own bytes alone decode to the same store;
 *   gva:  the walk ends (at most 5 levels read) and reads only entries of
 *         the size the mode uses;
 *   ipi:  a start-up IPI is never sent; whatever is sent is physical,
 *         without shorthand, to this CPU's own ID. */
#include <string.h>

#include "../hv/gva.h"
#include "../hv/insn.h"
#include "../hv/ipi.h"
#include "fuzz_util.h"

struct mem {
	const uint8_t *p;
	size_t n;
	unsigned reads, last_size;
};

static int rd(gpa_t gpa, unsigned size, u64 *val, void *ctx)
{
	struct mem *m = ctx;

	m->reads++;
	m->last_size = size;
	FUZZ_CHECK(size == 4 || size == 8, "a %u-byte paging entry", size);
	if (gpa >= m->n || m->n - gpa < size)
		return -1;
	*val = 0;
	memcpy(val, m->p + gpa, size);
	return 0;
}

static void check_insn(const uint8_t *b, size_t n, unsigned bits)
{
	struct insn_store st, again;

	if (insn_decode_store(b, (unsigned)(n > 64 ? 64 : n), bits, &st))
		return;
	FUZZ_CHECK(st.len >= 1 && st.len <= INSN_MAX_LEN && st.len <= n, "length %u of %zu", st.len, n);
	FUZZ_CHECK(st.reg < 16, "register %u", st.reg);
	FUZZ_CHECK(insn_decode_store(b, st.len, bits, &again) == 0, "its own bytes do not decode");
	FUZZ_CHECK(again.len == st.len && again.op == st.op && again.has_imm == st.has_imm &&
		   again.imm == st.imm && again.reg == st.reg, "its own bytes decode differently");
}

static void check_ipi(struct fuzz_in *in)
{
	struct ipi_self self;
	u32 lo = (u32)fuzz_take(in, 4), dest = (u32)fuzz_take(in, 4), asked = lo;
	u8 flags = (u8)fuzz_take(in, 1);

	self.x2apic = flags & 1;
	self.cluster = flags & 2;
	self.id = (u32)fuzz_take(in, 4);
	self.ldr = (u32)fuzz_take(in, 3);
	if (!self.x2apic) {
		self.id &= 0xFF;
		self.ldr &= 0xFF;
	}
	switch (ipi_filter(&self, &lo, &dest)) {
	case IPI_SEND:
		FUZZ_CHECK(ICR_MODE(asked) != ICR_MODE_STARTUP, "a start-up IPI sent");
		FUZZ_CHECK(ICR_MODE(asked) != ICR_MODE_INIT, "an INIT sent");
		FUZZ_CHECK(ICR_SHORTHAND(lo) == ICR_SH_NONE && !(lo & ICR_DEST_LOGICAL) &&
			   dest == self.id, "sent as lo %#x dest %#x, not to self %#x", lo, dest, self.id);
		break;
	case IPI_RESET:
		FUZZ_CHECK(ICR_MODE(asked) == ICR_MODE_INIT, "a reset from mode %u", ICR_MODE(asked));
		break;
	case IPI_DROP:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	static const unsigned bits_of[4] = { 16, 32, 64, 32 };
	unsigned bits = bits_of[fuzz_take(&in, 1) & 3];
	struct gva_regs r;
	struct mem m;
	gpa_t gpa;
	u64 la;

	r.cr0 = fuzz_take(&in, 4);
	r.cr3 = fuzz_take(&in, 4);
	r.cr4 = fuzz_take(&in, 4);
	r.efer = fuzz_take(&in, 4);
	la = fuzz_take(&in, 8);
	check_ipi(&in);
	if (in.off > size)
		return 0;
	m = (struct mem){ data + in.off, size - in.off, 0, 0 };
	check_insn(m.p, m.n, bits);
	if (gva_translate(&r, la, rd, &m, &gpa) == 0)
		FUZZ_CHECK(m.reads <= 5, "%u reads for one walk", m.reads);
	FUZZ_CHECK(m.reads <= 5, "%u reads for one failed walk", m.reads);
	return 0;
}
