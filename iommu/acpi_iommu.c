/* Reading the DMAR and the IVRS: see iommu/acpi_iommu.h.
 *
 * Every read is checked against the table's own length and the length the
 * caller knows, whichever is smaller; every structure's length against
 * what is left. Multi-byte fields are read byte by byte (the tables are
 * little-endian and their fields need not be aligned). */
#include "acpi_iommu.h"
#include "../lib/string.h"

#define ACPI_HEADER_LEN 36
#define DMAR_STRUCTS 48		/* header, host address width, flags, reserved */
#define IVRS_BLOCKS 48		/* header, IVinfo, reserved */

static u64 get(const u8 *p, int bytes)
{
	u64 v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

/* The table's length, checked: at least its fixed part, and no more
 * than the caller can read. */
static int table_len(const u8 *t, u64 len, const char *sig, u32 fixed, u32 *out,
		     const char **why)
{
	u32 l;

	if (len < ACPI_HEADER_LEN || memcmp(t, sig, 4)) {
		*why = "no table header with that signature";
		return -1;
	}
	l = (u32)get(t + 4, 4);
	if (l < fixed || l > len) {
		*why = "its length field is smaller than its fixed part or runs past its end";
		return -1;
	}
	*out = l;
	return 0;
}

static int add_unit(struct iommu_acpi *a, u64 base, u64 size, const char **why)
{
	struct iommu_unit *u;

	if (!base || (base & (IOMMU_REG_PAGE - 1))) {
		*why = "a unit's register base is 0 or not 4 KiB aligned";
		return -1;
	}
	if (a->nunits == IOMMU_MAX_UNITS) {
		*why = "more remapping units than Keel keeps (16)";
		return -1;
	}
	u = &a->unit[a->nunits++];
	memset(u, 0, sizeof(*u));
	u->base = base;
	u->size = size;
	return 0;
}

/* [base, last] reserved for devices, rounded outward to pages; the last
 * page of the address space cannot be named with an exclusive end, and
 * nothing maps it anyway. */
static int add_unity(struct iommu_acpi *a, u64 base, u64 last, const char **why)
{
	u64 end = last >= ~(u64)(IOMMU_REG_PAGE - 1) ? ~(u64)(IOMMU_REG_PAGE - 1)
						     : ALIGN_UP(last + 1, IOMMU_REG_PAGE);

	base = ALIGN_DOWN(base, IOMMU_REG_PAGE);
	if (base >= end)
		return 0;
	if (a->nunity == IOMMU_MAX_UNITY) {
		*why = "more reserved memory ranges than Keel keeps (32)";
		return -1;
	}
	a->unity[a->nunity].base = base;
	a->unity[a->nunity].end = end;
	a->nunity++;
	return 0;
}

/* VT-d spec 8.1-8.4: after the 48-byte fixed part, remapping structures,
 * each starting with a 16-bit type and a 16-bit length. DRHD: flags at 4,
 * register set size (2^N pages, bits 3:0) at 5, segment at 6, base at 8.
 * RMRR: segment at 6, base at 8, limit (its last byte) at 16. Other types
 * (ATSR, RHSA, ANDD, SATC, SIDP) do not change what Keel maps. */
int dmar_parse(const void *table, u64 len, struct iommu_acpi *out, const char **why)
{
	const u8 *t = table;
	u32 tlen, off;

	memset(out, 0, sizeof(*out));
	if (table_len(t, len, "DMAR", DMAR_STRUCTS, &tlen, why))
		return -1;
	out->addr_bits = (u8)(t[36] + 1);
	for (off = DMAR_STRUCTS; off < tlen;) {
		const u8 *s = t + off;
		u32 type, slen;

		if (tlen - off < 4) {
			*why = "a remapping structure header runs past the table's end";
			return -1;
		}
		type = (u32)get(s, 2);
		slen = (u32)get(s + 2, 2);
		if (slen < 4 || slen > tlen - off) {
			*why = "a remapping structure's length is below 4 or runs past the table's end";
			return -1;
		}
		if (type == DMAR_TYPE_DRHD) {
			if (slen < 16) {
				*why = "a DRHD is shorter than 16 bytes";
				return -1;
			}
			if (add_unit(out, get(s + 8, 8), (u64)IOMMU_REG_PAGE << (s[5] & 0xF), why))
				return -1;
			out->unit[out->nunits - 1].flags = s[4];
			out->unit[out->nunits - 1].segment = (u16)get(s + 6, 2);
		} else if (type == DMAR_TYPE_RMRR) {
			u64 base, last;

			if (slen < 24) {
				*why = "an RMRR is shorter than 24 bytes";
				return -1;
			}
			base = get(s + 8, 8);
			last = get(s + 16, 8);
			/* A range that ends before it starts names nothing. */
			if (base <= last && add_unity(out, base, last, why))
				return -1;
		}
		off += slen;
	}
	return out->nunits;
}

static int ivrs_ivhd(const u8 *b, u32 blen, struct iommu_acpi *out, const char **why)
{
	u32 first = b[0] == IVRS_IVHD_10 ? 24 : 40;
	u64 base = get(b + 8, 8), size = KiB(16);
	struct iommu_unit *u;
	int i;

	/* The device entries after the fixed part need not be read: every
	 * device ID gets the same translation (iommu/amdvi.c). */
	if (blen < first) {
		*why = "an IVHD is shorter than its fixed part";
		return -1;
	}
	/* Types 11h and 40h carry the Extended Feature Register: with
	 * performance counters (PCSup, bit 9) the window is 512 KiB
	 * (spec 3.4, MMIO offset 4_0000h). */
	if (first == 40 && (get(b + 24, 8) & (1u << 9)))
		size = KiB(512);
	for (i = 0; i < out->nunits; i++)
		if (out->unit[i].base == base)
			break;
	if (i == out->nunits && add_unit(out, base, size, why))
		return -1;
	u = &out->unit[i];
	if (size > u->size)
		u->size = size;
	u->flags = b[1];
	u->devid = (u16)get(b + 4, 2);
	u->cap_offset = (u16)get(b + 6, 2);
	u->segment = (u16)get(b + 16, 2);
	return 0;
}

/* AMD IOMMU spec 5.2: after the 48-byte fixed part (IVinfo at 36: the
 * physical address size in bits 14:8), blocks of a type byte, a flags
 * byte and a 16-bit length. IVMD (5.2.3): start at 16, length at 24; a
 * unity block, and an exclusion range (which Keel maps the same way
 * instead of setting the exclusion registers), must stay reachable. */
int ivrs_parse(const void *table, u64 len, struct iommu_acpi *out, const char **why)
{
	const u8 *t = table;
	u32 tlen, off;

	memset(out, 0, sizeof(*out));
	if (table_len(t, len, "IVRS", IVRS_BLOCKS, &tlen, why))
		return -1;
	out->addr_bits = (u8)((get(t + 36, 4) >> 8) & 0x7F);
	for (off = IVRS_BLOCKS; off < tlen;) {
		const u8 *b = t + off;
		u32 blen;

		if (tlen - off < 4) {
			*why = "a block header runs past the table's end";
			return -1;
		}
		blen = (u32)get(b + 2, 2);
		if (blen < 4 || blen > tlen - off) {
			*why = "a block's length is below 4 or runs past the table's end";
			return -1;
		}
		if (b[0] == IVRS_IVHD_10 || b[0] == IVRS_IVHD_11 || b[0] == IVRS_IVHD_40) {
			if (ivrs_ivhd(b, blen, out, why))
				return -1;
		} else if (b[0] >= IVRS_IVMD_ALL && b[0] <= IVRS_IVMD_RANGE) {
			u64 start, mlen;

			if (blen < 32) {
				*why = "an IVMD is shorter than 32 bytes";
				return -1;
			}
			start = get(b + 16, 8);
			mlen = get(b + 24, 8);
			if ((b[1] & (IVMD_FLAG_UNITY | IVMD_FLAG_EXCLUSION)) && mlen &&
			    add_unity(out, start, start + mlen - 1 < start ? ~0ull : start + mlen - 1,
				      why))
				return -1;
		}
		off += blen;
	}
	return out->nunits;
}
