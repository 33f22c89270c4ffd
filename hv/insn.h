/* Just enough of an x86 instruction decoder to carry out a guest's 32-bit
 * store to a page Keel write-protects (the local APIC's registers): the
 * nested-page fault gives the address, never the value or the length.
 * Encodings from the Intel SDM vol. 2 (2.1 instruction format, 2.2.1 REX,
 * tables 2-1 to 2-3 for ModR/M and SIB). Pure: unit-tested on the host. */
#ifndef KEEL_INSN_H
#define KEEL_INSN_H

#include "../lib/types.h"

#define INSN_MAX_LEN 15 /* SDM 2.3.11: longer is #GP */

enum insn_store_op {
	STORE_MOV,  /* 89 /r, C7 /0 id, A3 moffs */
	STORE_OR,   /* 09 /r, 81 /1 id, 83 /1 ib */
	STORE_AND,  /* 21 /r, 81 /4 id, 83 /4 ib */
	STORE_XCHG, /* 87 /r: the register also receives the old value */
};

struct insn_store {
	u8 len;               /* the whole instruction, prefixes included */
	enum insn_store_op op;
	bool has_imm;         /* the source is imm, else register reg */
	u32 imm;              /* imm8 forms sign-extended */
	u8 reg;               /* 0 = EAX ... 15 = R15D */
};

/* Decodes the instruction in b[0..n) as a 32-bit store to memory of the
 * kinds above, for a code segment of default size bits (16, 32 or 64;
 * 64 = IA-32e mode with CS.L). Returns 0, or -1 for anything else: other
 * opcodes, 8/16/64-bit operands, a register destination, REP prefixes, or
 * an instruction that does not fit in n bytes or 15. */
int insn_decode_store(const u8 *b, unsigned n, unsigned bits, struct insn_store *out);

/* Decodes b[0..n) as MOV to a control register (0F 22 /r, SDM vol. 2B
 * "MOV--Move to/from Control Registers"; REX.R selects CR8-CR15 and REX.B
 * R8-R15 in 64-bit code): 0 with *cr and *reg (0 = RAX ... 15 = R15), or
 * -1. For the log of a failed VM entry, which names the instruction. */
int insn_decode_mov_to_cr(const u8 *b, unsigned n, unsigned bits, u8 *cr, u8 *reg);

/* Is the instruction in b[0..n) one of the SVM instructions that raise
 * #GP under AMD-V before their intercept is checked (APM vol. 2 15.5:
 * VMRUN, VMLOAD and VMSAVE with rAX not page-aligned or past the physical
 * address width; any of them and STGI, CLGI, SKINIT and INVLPGA at CPL >
 * 0), where a CPU without SVM raises #UD? That is 0F 01 with ModR/M D8
 * or DA-DF, after any legacy prefixes and, in 64-bit code, a REX prefix.
 * VMMCALL (0F 01 D9) is not one: it is Keel's hypercall. */
bool insn_is_svm(const u8 *b, unsigned n, unsigned bits);

#endif
