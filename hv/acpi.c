/* Finding ACPI tables (ACPI 6.x, 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT), the
 * CPUs the MADT lists (5.2.12) and a guest's view of them -- every CPU,
 * unless its guest line asks for fewer (cpus=N) --, and hiding whole
 * tables (the IOMMU's DMAR and IVRS) from the root tables guests read. */
#include "hv.h"
#include "acpi.h"
#include "firmware.h"
#include "../lib/string.h"

/* Below 4 GiB, physical addresses are pointers in Keel (hv/mem.c). */
static const void *acpi_phys(u64 pa, u32 len, void *ctx)
{
	(void)ctx;
	return pa + len <= GiB(4) ? phys_to_virt(pa) : NULL;
}

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

/* The RSDP the loader handed over (UEFI: from the EFI configuration
 * table), else the BIOS areas' (lib/acpi.c). */
static const u8 *find_rsdp(void)
{
	u64 rsdp;

	if (firmware.rsdp && firmware.rsdp < GiB(4) && checksum_ok(phys_to_virt(firmware.rsdp), 20))
		return phys_to_virt(firmware.rsdp);
	if (firmware.uefi)
		return NULL; /* no BIOS areas: what lies there is not the firmware's */
	rsdp = acpi_find_rsdp_bios(acpi_phys, NULL);
	return rsdp ? phys_to_virt(rsdp) : NULL;
}

hpa_t acpi_rsdp(void)
{
	const u8 *rsdp = find_rsdp();

	return rsdp ? virt_to_phys(rsdp) : 0;
}

const struct acpi_header *acpi_find_table(const char sig[4])
{
	const u8 *rsdp = find_rsdp();

	return rsdp ? acpi_rsdp_table(virt_to_phys(rsdp), sig, acpi_phys, NULL) : NULL;
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
	struct acpi_madt_cpu e;
	int n = 0;

	madt = (struct acpi_header *)acpi_find_table("APIC");
	if (!madt || madt->length < MADT_ENTRIES_OFFSET)
		return -1;
	for (u32 pos = 0; (pos = acpi_madt_cpu_next(madt, pos, &e));) {
		struct madt_cpu c = { e.apic_id, (u32 *)((u8 *)madt + e.flags_offset), e.flags };

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
