/* Finding ACPI tables (ACPI 6.x, 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT), the
 * CPUs the MADT lists (5.2.12) and a guest's view of them -- every CPU,
 * unless its guest line asks for fewer (cpus=N) --, and hiding whole
 * tables (the IOMMU's DMAR and IVRS) from the root tables guests read. */
#include "hv.h"
#include "acpi.h"
#include "firmware.h"
#include "../lib/string.h"

#define BDA_EBDA_SEGMENT 0x40E
#define MADT_ENTRIES_OFFSET 44          /* header, local APIC address, flags */
#define MADT_LOCAL_APIC 0               /* 5.2.12.2 */
#define MADT_LOCAL_X2APIC 9             /* 5.2.12.12 */
#define MADT_LAPIC_ENABLED (1u << 0)
#define MADT_LAPIC_ONLINE_CAPABLE (1u << 1)

static bool checksum_ok(const void *p, u32 len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return sum == 0;
}

static void fix_checksum(struct acpi_header *t)
{
	u8 sum = 0;

	/* 5.2.6: all bytes of a table, checksum included, sum to 0. */
	t->checksum = 0;
	for (u32 i = 0; i < t->length; i++)
		sum += ((u8 *)t)[i];
	t->checksum = (u8)(0 - sum);
}

static const u8 *find_rsdp_in(u32 start, u32 len)
{
	for (u32 a = start; a + 20 <= start + len; a += 16) {
		const u8 *p = phys_to_virt(a);

		if (!memcmp(p, "RSD PTR ", 8) && checksum_ok(p, 20))
			return p;
	}
	return NULL;
}

/* The RSDP the loader handed over (UEFI: from the EFI configuration
 * table), else the BIOS areas' (ACPI 5.2.5.1: the EBDA's first KiB, then
 * E0000h-FFFFFh). */
static const u8 *find_rsdp(void)
{
	u32 ebda = (u32)*(const u16 *)phys_to_virt(BDA_EBDA_SEGMENT) << 4;
	const u8 *rsdp = NULL;

	if (firmware.rsdp && firmware.rsdp < GiB(4) && checksum_ok(phys_to_virt(firmware.rsdp), 20))
		return phys_to_virt(firmware.rsdp);
	if (firmware.uefi)
		return NULL; /* no BIOS areas: what lies there is not the firmware's */
	if (ebda >= 0x80000 && ebda < 0xA0000)
		rsdp = find_rsdp_in(ebda, 1024);
	if (!rsdp)
		rsdp = find_rsdp_in(0xE0000, 0x20000);
	return rsdp;
}

hpa_t acpi_rsdp(void)
{
	const u8 *rsdp = find_rsdp();

	return rsdp ? virt_to_phys(rsdp) : 0;
}

const struct acpi_header *acpi_find_table(const char sig[4])
{
	const u8 *rsdp = find_rsdp();
	const struct acpi_header *root;
	bool xsdt;
	u32 n;

	if (!rsdp)
		return NULL;
	xsdt = rsdp[15] >= 2 && *(const u64 *)(rsdp + 24) && *(const u64 *)(rsdp + 24) < GiB(4);
	root = phys_to_virt(xsdt ? *(const u64 *)(rsdp + 24) : *(const u32 *)(rsdp + 16));
	if (root->length < sizeof(*root))
		return NULL;
	n = (root->length - sizeof(*root)) / (xsdt ? 8 : 4);
	for (u32 i = 0; i < n; i++) {
		const u8 *ent = (const u8 *)(root + 1) + i * (xsdt ? 8 : 4);
		u64 addr = xsdt ? *(const u64 *)ent : *(const u32 *)ent;
		const struct acpi_header *t;

		if (!addr || addr >= GiB(4))
			continue;
		t = phys_to_virt(addr);
		if (!memcmp(t->signature, sig, 4))
			return t;
	}
	return NULL;
}

/* The MADT's processor entries (local APIC and local x2APIC), with the
 * flags the firmware gave them. Filled by acpi_madt_cpus() before the
 * first guest; owned by the sequencer afterwards. */
#define MADT_CPUS_MAX 512
static struct madt_cpu {
	u32 id;
	u32 *flags;
	u32 firmware_flags;
} madt_cpus[MADT_CPUS_MAX];
static int nmadt_cpus;
static struct acpi_header *madt;

int acpi_madt_cpus(u32 bsp_apic_id, u32 *ids, int max)
{
	u8 *p, *end;
	int n = 0;

	madt = (struct acpi_header *)acpi_find_table("APIC");
	if (!madt || madt->length < MADT_ENTRIES_OFFSET)
		return -1;
	p = (u8 *)madt + MADT_ENTRIES_OFFSET;
	end = (u8 *)madt + madt->length;
	for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		struct madt_cpu c;

		if (p[0] == MADT_LOCAL_APIC && p[1] >= 8)
			c = (struct madt_cpu){ p[3], (u32 *)(p + 4), 0 };
		else if (p[0] == MADT_LOCAL_X2APIC && p[1] >= 16)
			c = (struct madt_cpu){ *(u32 *)(p + 4), (u32 *)(p + 8), 0 };
		else
			continue;
		c.firmware_flags = *c.flags;
		if (nmadt_cpus < MADT_CPUS_MAX)
			madt_cpus[nmadt_cpus++] = c;
		if (c.id != bsp_apic_id && (c.firmware_flags & MADT_LAPIC_ENABLED) && n < max)
			ids[n++] = c.id;
	}
	return n;
}

void acpi_madt_show(const u32 *ids, u32 n)
{
	if (!madt)
		return;
	for (int i = 0; i < nmadt_cpus; i++) {
		struct madt_cpu *c = &madt_cpus[i];
		bool shown = false;

		for (u32 j = 0; j < n && !shown; j++)
			shown = ids[j] == c->id;
		*c->flags = shown || !(c->firmware_flags & MADT_LAPIC_ENABLED) ? c->firmware_flags :
			    c->firmware_flags & ~(MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE);
	}
	fix_checksum(madt);
}

void acpi_madt_restore(void)
{
	if (!madt)
		return;
	for (int i = 0; i < nmadt_cpus; i++)
		*madt_cpus[i].flags = madt_cpus[i].firmware_flags;
	fix_checksum(madt);
}

/* Drops the entries naming a table with signature sig from one root
 * table (entries of esize bytes: 4 in the RSDT, 8 in the XSDT). */
static int drop_entries(struct acpi_header *root, u32 esize, const char sig[4])
{
	u8 *ent = (u8 *)(root + 1);
	u32 n, i = 0;
	int dropped = 0;

	if (root->length < sizeof(*root))
		return 0;
	n = (root->length - sizeof(*root)) / esize;
	while (i < n) {
		u64 addr = esize == 8 ? *(const u64 *)(ent + i * 8) : *(const u32 *)(ent + i * 4);

		if (!addr || addr >= GiB(4) ||
		    memcmp(((const struct acpi_header *)phys_to_virt(addr))->signature, sig, 4)) {
			i++;
			continue;
		}
		memmove(ent + i * esize, ent + (i + 1) * esize, (n - i - 1) * esize);
		n--;
		root->length -= esize;
		dropped++;
	}
	if (dropped)
		fix_checksum(root);
	return dropped;
}

int acpi_hide_table(const char sig[4])
{
	const u8 *rsdp = find_rsdp();
	u32 rsdt;
	u64 xsdt;
	int n = 0;

	if (!rsdp)
		return 0;
	rsdt = *(const u32 *)(rsdp + 16);
	if (rsdt)
		n = drop_entries(phys_to_virt(rsdt), 4, sig);
	xsdt = rsdp[15] >= 2 ? *(const u64 *)(rsdp + 24) : 0;
	if (xsdt && xsdt < GiB(4))
		n += drop_entries(phys_to_virt(xsdt), 8, sig);
	return n;
}

int acpi_pm1_control_ports(u16 ports[2])
{
	const struct acpi_header *fadt = acpi_find_table("FACP");
	const u8 *f = (const u8 *)fadt;

	ports[0] = ports[1] = 0;
	if (!fadt || fadt->length < 76)
		return 0;
	/* FADT PM1a_CNT_BLK at offset 64, PM1b_CNT_BLK at 68 (5.2.9). */
	ports[0] = (u16)*(const u32 *)(f + 64);
	ports[1] = (u16)*(const u32 *)(f + 68);
	return !!ports[0] + !!ports[1];
}
