/* The firmware's ACPI tables, as far as Keel reads them: the FADT for
 * power-off, the MADT for the CPUs (and a guest's view of them), the DMAR
 * and IVRS that describe the IOMMUs (iommu/), which guests do not see. */
#ifndef KEEL_ACPI_H
#define KEEL_ACPI_H

#include "../lib/acpi.h"

/* The ACPI RSDP's physical address, or 0 when there is none. */
hpa_t acpi_rsdp(void);

/* The table with that signature from the RSDT/XSDT, or NULL. */
const struct acpi_header *acpi_find_table(const char sig[4]);

/* The APIC IDs of the CPUs the MADT lists as enabled, but bsp_apic_id,
 * in the MADT's order, stored in ids[0..max); how many, or -1 without a
 * MADT. Keeps each processor entry's flags as the firmware set them. */
int acpi_madt_cpus(u32 bsp_apic_id, u32 *ids, int max);

/* A guest's view: the MADT lists exactly the enabled CPUs whose APIC IDs
 * are in ids[0..n) as enabled (the others disabled, checksum fixed);
 * acpi_madt_restore() gives back the firmware's flags. */
void acpi_madt_show(const u32 *ids, u32 n);
void acpi_madt_restore(void);

/* Removes every entry naming a table with this signature from the RSDT
 * and the XSDT (fixing their lengths and checksums), so that a guest
 * reading ACPI does not find the table. Returns how many it removed. */
int acpi_hide_table(const char sig[4]);

/* The FADT's PM1a and PM1b control ports (0 when absent), where an OS asks
 * for a sleep state -- S5 is power-off. Returns how many are set. */
int acpi_pm1_control_ports(u16 ports[2]);

#endif
