/* See hv/insn.h. */
#include "insn.h"

#define PFX_OPSIZE 0x66
#define PFX_ADDRSIZE 0x67
#define PFX_LOCK 0xF0
#define PFX_REPNE 0xF2
#define PFX_REP 0xF3
#define REX_W 0x8
#define REX_R 0x4

static bool segment_prefix(u8 b)
{
	return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65;
}

/* Bytes of ModR/M, SIB and displacement after the opcode for this
 * address size (SDM tables 2-1, 2-2), or -1 when the operand is a
 * register or the bytes run out. */
static int modrm_len(const u8 *b, unsigned n, unsigned addr_bits)
{
	u8 mod, rm;

	if (n < 1)
		return -1;
	mod = b[0] >> 6;
	rm = b[0] & 7;
	if (mod == 3)
		return -1;
	if (addr_bits == 16) {
		if (mod == 0)
			return rm == 6 ? 3 : 1;
		return mod == 1 ? 2 : 3;
	}
	if (rm == 4) {	/* a SIB byte follows */
		if (n < 2)
			return -1;
		if (mod == 0)
			return (b[1] & 7) == 5 ? 6 : 2;
		return mod == 1 ? 3 : 6;
	}
	if (mod == 0)
		return rm == 5 ? 5 : 1;	/* disp32 (RIP-relative in 64-bit mode) */
	return mod == 1 ? 2 : 5;
}

static u32 load32(const u8 *b)
{
	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}

int insn_decode_store(const u8 *b, unsigned n, unsigned bits, struct insn_store *out)
{
	unsigned i = 0, op_bits = bits == 16 ? 16 : 32, addr_bits = bits, m;
	u8 rex = 0, opc;
	int ml;

	if (n > INSN_MAX_LEN)
		n = INSN_MAX_LEN;
	for (; i < n; i++) {
		if (b[i] == PFX_OPSIZE)
			op_bits = bits == 16 ? 32 : 16;
		else if (b[i] == PFX_ADDRSIZE)
			addr_bits = bits == 64 ? 32 : bits == 32 ? 16 : 32;
		else if (b[i] == PFX_REP || b[i] == PFX_REPNE)
			return -1;
		else if (b[i] != PFX_LOCK && !segment_prefix(b[i]))
			break;
	}
	/* REX counts only right before the opcode (SDM 2.2.1). */
	if (bits == 64 && i < n && (b[i] & 0xF0) == 0x40)
		rex = b[i++];
	if (rex & REX_W)
		op_bits = 64;
	if (i >= n || op_bits != 32)
		return -1;
	opc = b[i++];
	*out = (struct insn_store){ 0 };
	if (opc == 0xA3) {	/* MOV moffs32, EAX: an address of addr_bits */
		m = addr_bits / 8;
		if (i + m > n)
			return -1;
		out->op = STORE_MOV;
		out->reg = 0;
		out->len = (u8)(i + m);
		return 0;
	}
	ml = modrm_len(b + i, n - i, addr_bits);
	if (ml < 0)
		return -1;
	m = (b[i] >> 3) & 7;	/* ModR/M reg: a register or an opcode extension */
	switch (opc) {
	case 0x89: out->op = STORE_MOV; break;
	case 0x09: out->op = STORE_OR; break;
	case 0x21: out->op = STORE_AND; break;
	case 0x87: out->op = STORE_XCHG; break;
	case 0xC7:
		if (m != 0)
			return -1;
		out->op = STORE_MOV;
		break;
	case 0x81:
	case 0x83:
		if (m != 1 && m != 4)
			return -1;
		out->op = m == 1 ? STORE_OR : STORE_AND;
		break;
	default:
		return -1;
	}
	i += (unsigned)ml;
	if (i > n)
		return -1;
	if (opc == 0xC7 || opc == 0x81) {
		if (i + 4 > n)
			return -1;
		out->has_imm = true;
		out->imm = load32(b + i);
		i += 4;
	} else if (opc == 0x83) {
		if (i + 1 > n)
			return -1;
		out->has_imm = true;
		out->imm = (u32)(s32)(s8)b[i];
		i += 1;
	} else {
		out->reg = (u8)(m | ((rex & REX_R) ? 8 : 0));
	}
	out->len = (u8)i;
	return 0;
}

int insn_decode_mov_to_cr(const u8 *b, unsigned n, unsigned bits, u8 *cr, u8 *reg)
{
	unsigned i = 0;
	u8 rex = 0;

	if (bits == 64 && n > 0 && (b[0] & 0xF0) == 0x40)
		rex = b[i++];
	if (n < i + 3 || b[i] != 0x0F || b[i + 1] != 0x22)
		return -1;
	/* The mod field is ignored: the operand is always a register. */
	*cr = (u8)(((b[i + 2] >> 3) & 7) | (rex & 4 ? 8 : 0));
	*reg = (u8)((b[i + 2] & 7) | (rex & 1 ? 8 : 0));
	return 0;
}

#define SVM_VMRUN_MODRM 0xD8	/* 0F 01 D8 VMRUN, D9 VMMCALL, DA VMLOAD, */
#define SVM_LAST_MODRM 0xDF	/* DB VMSAVE, DC STGI, DD CLGI, DE SKINIT, DF INVLPGA */
#define SVM_VMMCALL_MODRM 0xD9

bool insn_is_svm(const u8 *b, unsigned n, unsigned bits)
{
	unsigned i = 0;

	if (n > INSN_MAX_LEN)
		n = INSN_MAX_LEN;
	while (i < n && (b[i] == PFX_OPSIZE || b[i] == PFX_ADDRSIZE || b[i] == PFX_LOCK ||
			 b[i] == PFX_REP || b[i] == PFX_REPNE || segment_prefix(b[i])))
		i++;
	if (bits == 64 && i < n && (b[i] & 0xF0) == 0x40)
		i++;
	if (i + 3 > n || b[i] != 0x0F || b[i + 1] != 0x01)
		return false;
	return b[i + 2] >= SVM_VMRUN_MODRM && b[i + 2] <= SVM_LAST_MODRM &&
	       b[i + 2] != SVM_VMMCALL_MODRM;
}
