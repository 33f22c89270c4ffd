/* See hv/fetch.h. */
#include "hv.h"
#include "fetch.h"
#include "guest.h"
#include "gva.h"
#include "insn.h"
#include "../lib/format.h"
#include "../lib/string.h"

/* Guest memory Keel may read an instruction or a page table from: RAM,
 * and the option and BIOS ROMs (C0000h-FFFFFh), whose code may write the
 * APIC too. Never Keel's region, never a device. */
static bool readable(gpa_t gpa, u64 len)
{
	return guest_ram(gpa, len) || (gpa >= 0xC0000 && gpa + len <= 0x100000);
}

int guest_read_entry(gpa_t gpa, unsigned size, u64 *val, void *ctx)
{
	(void)ctx;
	if (!readable(gpa, size))
		return -1;
	*val = 0;
	memcpy(val, phys_to_virt(gpa), size);
	return 0;
}

unsigned guest_fetch_insn(struct vcpu *v, u8 *buf, unsigned bits)
{
	struct gva_regs r = { vcpu_get_reg(v, VCPU_CR0), vcpu_get_reg(v, VCPU_CR3),
			      vcpu_get_reg(v, VCPU_CR4), vcpu_get_reg(v, VCPU_EFER) };
	u64 la = vcpu_get_reg(v, VCPU_CS_BASE) + vcpu_get_reg(v, VCPU_RIP);
	unsigned n = 0;

	if (bits != 64)
		la &= 0xFFFFFFFFull;
	while (n < INSN_MAX_LEN) {
		gpa_t gpa;
		unsigned chunk;

		if (gva_translate(&r, la + n, guest_read_entry, NULL, &gpa))
			break;
		chunk = PAGE_SIZE - (unsigned)(gpa & (PAGE_SIZE - 1));
		if (chunk > INSN_MAX_LEN - n)
			chunk = INSN_MAX_LEN - n;
		if (!readable(gpa, chunk))
			break;
		memcpy(buf + n, phys_to_virt(gpa), chunk);
		n += chunk;
	}
	return n;
}

void guest_log_insn(struct vcpu *v)
{
	static const char *const regs[16] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	};
	unsigned bits = (unsigned)vcpu_get_reg(v, VCPU_CS_BITS), n;
	char hex[3 * INSN_MAX_LEN + 1] = "", what[80] = "";
	u8 buf[INSN_MAX_LEN], cr, reg;

	n = guest_fetch_insn(v, buf, bits);
	for (unsigned i = 0; i < n; i++)
		fmt_snprintf(hex + 3 * i, 4, " %02x", buf[i]);
	if (!insn_decode_mov_to_cr(buf, n, bits, &cr, &reg))
		fmt_snprintf(what, sizeof(what), " (MOV to CR%u from %s = 0x%llx)", cr, regs[reg],
			     (unsigned long long)vcpu_get_reg(v, (enum vcpu_reg)reg));
	log_line("guest instruction at rip=0x%llx (%u-bit code):%s%s",
		 (unsigned long long)vcpu_get_reg(v, VCPU_RIP), bits, n ? hex : " unreadable", what);
}
