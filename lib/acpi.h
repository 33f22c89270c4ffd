/* Reading the firmware's ACPI tables (ACPI 6.x: 5.2.5 RSDP, 5.2.7 RSDT,
 * 5.2.8 XSDT, 5.2.12 MADT), shared by stage 2 (to size Keel's region per
 * CPU), the hypervisor and the host unit tests. Addresses are physical;
 * the caller says how to reach them (identity below 4 GiB in stage 2's
 * unreal mode and in Keel; a buffer in the tests). */
#ifndef KEEL_LIB_ACPI_H
#define KEEL_LIB_ACPI_H

#include "types.h"

struct acpi_header {
	char signature[4];
	u32 length;
	u8 revision, checksum;
	char oem_id[6], oem_table_id[8];
	u32 oem_revision, creator_id, creator_revision;
} __attribute__((packed));

/* MADT (5.2.12): entries start after the header, the local APIC address
 * and the flags; processor entries and their flags. */
#define MADT_ENTRIES_OFFSET 44
#define MADT_LOCAL_APIC 0               /* 5.2.12.2 */
#define MADT_LOCAL_X2APIC 9             /* 5.2.12.12 */
#define MADT_LAPIC_ENABLED (1u << 0)
#define MADT_LAPIC_ONLINE_CAPABLE (1u << 1)

/* A pointer to len bytes at physical address pa, or NULL. */
typedef const void *(*acpi_phys_fn)(u64 pa, u32 len, void *ctx);

#define BDA_EBDA_SEGMENT 0x40E

/* The RSDP where a PC BIOS leaves it (5.2.5.1): the first KiB of the
 * EBDA, then E0000h-FFFFFh. Its physical address, or 0. */
u64 acpi_find_rsdp_bios(acpi_phys_fn phys, void *ctx);

/* The table with that signature in the RSDT or XSDT the RSDP at rsdp
 * names (tables above 4 GiB are skipped), or NULL. */
const struct acpi_header *acpi_rsdp_table(u64 rsdp, const char sig[4], acpi_phys_fn phys,
					  void *ctx);

/* The FADT's reset register (5.2.9: RESET_REG, a Generic Address
 * Structure at offset 116, RESET_VALUE at 128; valid with the flag
 * RESET_REG_SUP), where an OS writes RESET_VALUE to reset the machine. */
#define ACPI_SPACE_MEMORY 0
#define ACPI_SPACE_IO 1
#define ACPI_SPACE_PCI_CONFIG 2
struct acpi_reset_reg {
	u8 space;                       /* ACPI_SPACE_* */
	u64 address;
	u8 value;
};

/* Fills *r and returns true when the FADT has a reset register. */
bool acpi_fadt_reset_reg(const struct acpi_header *fadt, struct acpi_reset_reg *r);

/* Does a remapping unit (DRHD) of this DMAR (Intel VT-d spec 8.3) lack
 * 2 MiB pages in its second-level tables (CAP.SLLPS bit 34, read from
 * the unit's registers through phys)? Its tables for Keel then need a
 * 4 KiB page table per 2 MiB of memory. */
bool acpi_dmar_4k_only(const struct acpi_header *dmar, acpi_phys_fn phys, void *ctx);

/* One processor entry of the MADT (Local APIC or Local x2APIC). */
struct acpi_madt_cpu {
	u32 apic_id;
	u32 flags;          /* MADT_LAPIC_ENABLED, ... as the firmware gave them */
	u32 flags_offset;   /* where flags lie, from the table's start */
};

/* The processor entry after byte offset pos (0: the first); returns the
 * entry's offset, 0 past the last. Walks what a loader and Keel both read. */
u32 acpi_madt_cpu_next(const struct acpi_header *madt, u32 pos, struct acpi_madt_cpu *c);

/* Processors the MADT lists as enabled (Local APIC and Local x2APIC
 * entries, flag bit 0), or 0 when madt is NULL or has none. */
unsigned acpi_madt_cpu_count(const struct acpi_header *madt);

#endif
