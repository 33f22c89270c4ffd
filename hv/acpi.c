/* Finding ACPI tables (ACPI 6.x, 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT),
 * hiding the application processors in the MADT (5.2.12), and hiding whole
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

/* Keel runs guests on the bootstrap CPU only (DESIGN.md "CPUs"): the APs
 * are parked in Keel (hv/smp.c), and a guest that reads the MADT finds
 * them disabled and does not try to start them. */
int acpi_hide_aps(u32 bsp_apic_id, u32 *ids, int max, int *nids)
{
	struct acpi_header *madt = (struct acpi_header *)acpi_find_table("APIC");
	u8 *p, *end;
	int hidden = 0;

	*nids = 0;
	if (!madt || madt->length < MADT_ENTRIES_OFFSET)
		return -1;
	p = (u8 *)madt + MADT_ENTRIES_OFFSET;
	end = (u8 *)madt + madt->length;
	for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		u32 *flags;
		u32 id;

		if (p[0] == MADT_LOCAL_APIC && p[1] >= 8) {
			id = p[3];
			flags = (u32 *)(p + 4);
		} else if (p[0] == MADT_LOCAL_X2APIC && p[1] >= 16) {
			id = *(u32 *)(p + 4);
			flags = (u32 *)(p + 8);
		} else {
			continue;
		}
		if (id == bsp_apic_id || !(*flags & (MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE)))
			continue;
		if ((*flags & MADT_LAPIC_ENABLED) && *nids < max)
			ids[(*nids)++] = id;
		*flags &= ~(MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE);
		hidden++;
	}
	if (hidden)
		fix_checksum(madt);
	return hidden;
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
