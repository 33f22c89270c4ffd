/* libFuzzer harness for what Keel does with a guest's local-APIC write:
 * hv/insn.c (decoding the store), hv/gva.c (walking the guest's page
 * tables to fetch it) and hv/ipi.c (which CPUs an IPI reaches), all fed from the
 * guest's side. Input: a mode byte, 32 bytes of paging registers and an
 * address, 16 bytes of ICR and APIC identity, then the instruction bytes,
 * which also serve as the guest's memory for the walk. Checks:
 *   insn: an accepted store is 1..15 bytes inside the input, its register
 *         0..15, and its own bytes alone decode to the same store;
 *   gva:  the walk ends (at most 5 levels read) and reads only entries of
 *         the size the mode uses;
 *   ipi:  an INIT or start-up IPI is never passed to the ICR as it is
 *         (Keel delivers those itself); the shorthands reach the CPUs
 *         they name, whatever the destination field says. */
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
	struct ipi_self self, other;
	u32 lo = (u32)fuzz_take(in, 4), dest = (u32)fuzz_take(in, 4);
	u8 flags = (u8)fuzz_take(in, 1);
	enum ipi_action act = ipi_classify(lo);
	bool to_self, to_other;

	self.x2apic = other.x2apic = flags & 1;
	self.cluster = other.cluster = flags & 2;
	self.id = (u32)fuzz_take(in, 4);
	self.ldr = (u32)fuzz_take(in, 3);
	other.id = (u32)fuzz_take(in, 4);
	other.ldr = (u32)fuzz_take(in, 3);
	if (!self.x2apic) {
		self.id &= 0xFF;
		self.ldr &= 0xFF;
		other.id &= 0xFF;
		other.ldr &= 0xFF;
	}
	FUZZ_CHECK((act == IPI_STARTUP) == (ICR_MODE(lo) == ICR_MODE_STARTUP),
		   "mode %u classified %d", ICR_MODE(lo), act);
	FUZZ_CHECK(act != IPI_PASS || (ICR_MODE(lo) != ICR_MODE_INIT &&
				       ICR_MODE(lo) != ICR_MODE_STARTUP),
		   "an INIT or start-up IPI would pass to the ICR: lo %#x", lo);
	to_self = ipi_reaches(&self, &self, lo, dest);
	to_other = ipi_reaches(&self, &other, lo, dest);
	switch (ICR_SHORTHAND(lo)) {
	case ICR_SH_SELF:
		FUZZ_CHECK(to_self && !to_other, "self shorthand: self %d other %d", to_self, to_other);
		break;
	case ICR_SH_ALL:
		FUZZ_CHECK(to_self && to_other, "all shorthand: self %d other %d", to_self, to_other);
		break;
	case ICR_SH_OTHERS:
		FUZZ_CHECK(!to_self && to_other, "others shorthand: self %d other %d", to_self, to_other);
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
