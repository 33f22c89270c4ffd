/* Finding ACPI tables (ACPI 6.x, 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT) and
 * hiding the application processors in the MADT (5.2.12). */
#include "hv.h"
#include "acpi.h"
#include "../lib/string.h"

/* Below 4 GiB, physical addresses are pointers in Keel (hv/mem.c). */
static const void *acpi_phys(u64 pa, u32 len, void *ctx)
{
	(void)ctx;
	return pa + len <= GiB(4) ? phys_to_virt(pa) : NULL;
}

const struct acpi_header *acpi_find_table(const char sig[4])
{
	return acpi_rsdp_table(acpi_find_rsdp_bios(acpi_phys, NULL), sig, acpi_phys, NULL);
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
	if (hidden) {
		u8 sum = 0;

		/* 5.2.6: all bytes of a table, checksum included, sum to 0. */
		madt->checksum = 0;
		for (u32 i = 0; i < madt->length; i++)
			sum += ((u8 *)madt)[i];
		madt->checksum = (u8)(0 - sum);
	}
	return hidden;
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
