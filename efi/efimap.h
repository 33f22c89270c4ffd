/* The UEFI memory map (UEFI 2.10, 7.2 GetMemoryMap()) turned into Keel's
 * E820-style ranges (lib/memmap.h): once for placing Keel's region while
 * the firmware still runs, once for the hand-off after ExitBootServices().
 * Pure logic, so that the host unit tests hold every rule. */
#ifndef KEEL_EFIMAP_H
#define KEEL_EFIMAP_H

#include "../lib/types.h"
#include "../lib/memmap.h"

/* EFI_MEMORY_TYPE (UEFI 2.10, table 7.6 "Memory Type Usage"). */
#define UEFI_RESERVED_MEMORY_TYPE 0
#define UEFI_LOADER_CODE 1
#define UEFI_LOADER_DATA 2
#define UEFI_BOOT_SERVICES_CODE 3
#define UEFI_BOOT_SERVICES_DATA 4
#define UEFI_RUNTIME_SERVICES_CODE 5
#define UEFI_RUNTIME_SERVICES_DATA 6
#define UEFI_CONVENTIONAL_MEMORY 7
#define UEFI_UNUSABLE_MEMORY 8
#define UEFI_ACPI_RECLAIM_MEMORY 9
#define UEFI_ACPI_MEMORY_NVS 10
#define UEFI_MEMORY_MAPPED_IO 11
#define UEFI_MEMORY_MAPPED_IO_PORT_SPACE 12
#define UEFI_PAL_CODE 13
#define UEFI_PERSISTENT_MEMORY 14
#define UEFI_UNACCEPTED_MEMORY 15

/* EFI_MEMORY_DESCRIPTOR.Attribute: the range is needed by runtime services. */
#define UEFI_MEMORY_RUNTIME (1ull << 63)
#define UEFI_PAGE_SHIFT 12

/* E820 type 7 (ACPI 6.x table 15.4: AddressRangePersistentMemory). */
#define E820_PMEM 7

/* EFI_MEMORY_DESCRIPTOR. The firmware's descriptors may be larger (its
 * DescriptorSize): walk them by that size, never by sizeof. */
struct efi_mem_desc {
	u32 type;
	u32 pad;
	u64 phys_start;
	u64 virt_start;
	u64 pages;
	u64 attribute;
};

enum efimap_view {
	/* While boot services run: only EfiConventionalMemory is free. */
	EFIMAP_FREE_NOW,
	/* After ExitBootServices(): what the machine's RAM is for an OS. */
	EFIMAP_AFTER_EXIT,
};

/* The E820 type of one UEFI range after ExitBootServices(): loader and
 * boot-services code and data and conventional memory are RAM; ACPI
 * reclaim is ACPI (3), ACPI NVS is NVS (4), unusable is 5, persistent
 * memory 7; runtime-services code and data, MMIO, PAL code, reserved,
 * unaccepted and unknown types are reserved (2), and so is any range
 * marked UEFI_MEMORY_RUNTIME. */
u32 efimap_e820_type(u32 efi_type, u64 attribute);

/* Converts the descriptors in buf[0..size) (each dsize bytes) into
 * out[0..max): sorted by address, adjacent ranges of one type merged.
 * EFIMAP_FREE_NOW keeps only conventional memory (as RAM). Returns the
 * count, or -1 when more than max ranges would be needed or dsize is too
 * small to hold a descriptor. Overlaps the firmware should not list are
 * left for memmap_sanitize(). */
int efimap_convert(const void *buf, u64 size, u64 dsize, enum efimap_view view,
		   struct mem_range *out, int max);

#endif
