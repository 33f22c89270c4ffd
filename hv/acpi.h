/* The firmware's ACPI tables, as far as Keel reads them: the FADT for
 * power-off, the MADT to hide the CPUs guests may not start, the DMAR and
 * IVRS that describe the IOMMUs (iommu/), which guests do not see. */
#ifndef KEEL_ACPI_H
#define KEEL_ACPI_H

#include "../lib/acpi.h"

/* The ACPI RSDP's physical address, or 0 when there is none. */
hpa_t acpi_rsdp(void);

/* The table with that signature from the RSDT/XSDT, or NULL. */
const struct acpi_header *acpi_find_table(const char sig[4]);

/* Marks every processor entry of the MADT but the bootstrap CPU's as
 * disabled (and fixes the checksum), so that a guest reading ACPI sees one
 * CPU. The APIC IDs of the entries that were enabled (present CPUs, not
 * merely online-capable ones) go to ids[0..max). Returns how many entries
 * it disabled, or -1 without a MADT; *nids says how many IDs it stored. */
int acpi_hide_aps(u32 bsp_apic_id, u32 *ids, int max, int *nids);

/* Removes every entry naming a table with this signature from the RSDT
 * and the XSDT (fixing their lengths and checksums), so that a guest
 * reading ACPI does not find the table. Returns how many it removed. */
int acpi_hide_table(const char sig[4]);

/* The FADT's PM1a and PM1b control ports (0 when absent), where an OS asks
 * for a sleep state -- S5 is power-off. Returns how many are set. */
int acpi_pm1_control_ports(u16 ports[2]);

#endif
