/* Finding ACPI tables and counting the CPUs the MADT lists (lib/acpi.h).
 * Built with -m16 for stage 2 too: no 64-bit division here. */
#include "acpi.h"
#include "string.h"

#define RSDP_V1_LEN 20
#define FADT_FLAGS 112
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128

static bool checksum_ok(const u8 *p, u32 len)
{
	u8 sum = 0;

	while (len--)
		sum += *p++;
	return sum == 0;
}

static u64 find_rsdp_in(u32 start, u32 len, acpi_phys_fn phys, void *ctx)
{
	const u8 *area = phys(start, len, ctx);

	for (u32 off = 0; area && off + RSDP_V1_LEN <= len; off += 16)
		if (!memcmp(area + off, "RSD PTR ", 8) && checksum_ok(area + off, RSDP_V1_LEN))
			return start + off;
	return 0;
}

u64 acpi_find_rsdp_bios(acpi_phys_fn phys, void *ctx)
{
	const u16 *ebda_seg = phys(BDA_EBDA_SEGMENT, 2, ctx);
	u32 ebda = ebda_seg ? (u32)*ebda_seg << 4 : 0;
	u64 rsdp = 0;

	if (ebda >= 0x80000 && ebda < 0xA0000)
		rsdp = find_rsdp_in(ebda, 1024, phys, ctx);
	if (!rsdp)
		rsdp = find_rsdp_in(0xE0000, 0x20000, phys, ctx);
	return rsdp;
}

static u64 le64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

static u32 le32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

const struct acpi_header *acpi_rsdp_table(u64 rsdp, const char sig[4], acpi_phys_fn phys,
					  void *ctx)
{
	const u8 *r = rsdp ? phys(rsdp, 36, ctx) : NULL;
	const struct acpi_header *root;
	const u8 *ents;
	u64 root_pa, x;
	u32 n, w;

	if (!r)
		return NULL;
	/* 5.2.5.3: revision 2 and later add the XSDT's 64-bit address at 24. */
	x = r[15] >= 2 ? le64(r + 24) : 0;
	w = x && x < GiB(4) ? 8 : 4;
	root_pa = w == 8 ? x : le32(r + 16);
	root = phys(root_pa, sizeof(*root), ctx);
	if (!root || root->length < sizeof(*root))
		return NULL;
	ents = phys(root_pa, root->length, ctx);
	if (!ents)
		return NULL;
	n = (root->length - sizeof(*root)) / w;
	for (u32 i = 0; i < n; i++) {
		const u8 *e = ents + sizeof(*root) + i * w;
		u64 addr = w == 8 ? le64(e) : le32(e);
		const struct acpi_header *t;

		if (!addr || addr >= GiB(4))
			continue;
		t = phys(addr, sizeof(*t), ctx);
		if (t && !memcmp(t->signature, sig, 4))
			return phys(addr, t->length, ctx);
	}
	return NULL;
}

u32 acpi_madt_cpu_next(const struct acpi_header *madt, u32 pos, struct acpi_madt_cpu *c)
{
	const u8 *t = (const u8 *)madt, *p;

	if (!madt || madt->length < MADT_ENTRIES_OFFSET)
		return 0;
	/* 5.2.12: each entry gives its type and length in its first bytes. */
	p = pos ? t + pos + t[pos + 1] : t + MADT_ENTRIES_OFFSET;
	for (; p + 2 <= t + madt->length && p[1] >= 2 && p + p[1] <= t + madt->length;
	     p += p[1]) {
		if (p[0] == MADT_LOCAL_APIC && p[1] >= 8)
			*c = (struct acpi_madt_cpu){ p[3], le32(p + 4), p + 4 - t };
		else if (p[0] == MADT_LOCAL_X2APIC && p[1] >= 16)
			*c = (struct acpi_madt_cpu){ le32(p + 4), le32(p + 8), p + 8 - t };
		else
			continue;
		return p - t;
	}
	return 0;
}

unsigned acpi_madt_cpu_count(const struct acpi_header *madt)
{
	struct acpi_madt_cpu c;
	unsigned n = 0;

	for (u32 pos = 0; (pos = acpi_madt_cpu_next(madt, pos, &c));)
		n += !!(c.flags & MADT_LAPIC_ENABLED);
	return n;
}

bool acpi_fadt_reset_reg(const struct acpi_header *fadt, struct acpi_reset_reg *r)
{
	const u8 *f = (const u8 *)fadt;

	/* ACPI 1.0's FADT (116 bytes, QEMU's pc machine) ends before it. */
	if (!fadt || fadt->length <= FADT_RESET_VALUE ||
	    !(le32(f + FADT_FLAGS) & FADT_RESET_REG_SUP))
		return false;
	r->space = f[FADT_RESET_REG];
	r->address = le64(f + FADT_RESET_REG + 4);
	r->value = f[FADT_RESET_VALUE];
	return true;
}

#define DMAR_STRUCTS_OFFSET 48          /* header, width, flags, 10 reserved */
#define DMAR_DRHD 0
#define DRHD_REGISTER_BASE 8
#define VTD_CAP_REG 0x08
#define VTD_CAP_SLLPS_2M_HI (1u << (34 - 32))

bool acpi_dmar_4k_only(const struct acpi_header *dmar, acpi_phys_fn phys, void *ctx)
{
	const u8 *p, *end;

	if (!dmar || dmar->length < DMAR_STRUCTS_OFFSET)
		return false;
	p = (const u8 *)dmar + DMAR_STRUCTS_OFFSET;
	end = (const u8 *)dmar + dmar->length;
	for (; p + 4 <= end; p += p[2] | p[3] << 8) {
		u32 len = p[2] | p[3] << 8;
		const volatile u32 *cap;

		if (len < 4 || p + len > end)
			break;
		if ((p[0] | p[1] << 8) != DMAR_DRHD || len < 16)
			continue;
		/* The high half of the 64-bit CAP register holds SLLPS. */
		cap = phys(le64(p + DRHD_REGISTER_BASE) + VTD_CAP_REG + 4, 4, ctx);
		if (cap && !(*cap & VTD_CAP_SLLPS_2M_HI))
			return true;
	}
	return false;
}
