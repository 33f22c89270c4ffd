/* Powering the machine off: the emulators' exit devices first (they do
 * nothing on real hardware), then ACPI S5 from the FADT, else a halt with
 * a message. ACPI 6.x spec, sections 5.2.5 (RSDP), 5.2.9 (FADT), 7.4.2
 * (\_S5) and 4.8.3.2.1 (PM1 control: SLP_TYP, SLP_EN). */
#include "hv.h"
#include "acpi.h"
#include "../lib/console.h"
#include "../lib/io.h"
#include "../lib/string.h"

#define PM1_SCI_EN (1u << 0)
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN (1u << 13)
#define AML_PACKAGE_OP 0x12
#define AML_BYTE_PREFIX 0x0A

/* SLP_TYPa from the DSDT's \_S5 package: Name(_S5, Package(){a, b, ...}). */
static int find_s5_type(const struct acpi_header *dsdt)
{
	const u8 *p = (const u8 *)dsdt, *end = p + dsdt->length;

	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != AML_PACKAGE_OP)
			continue;
		p += 5;
		p += ((*p >> 6) & 3) + 1; /* PkgLength: lead byte + follow bytes */
		p++;                      /* NumElements */
		if (*p == AML_BYTE_PREFIX)
			p++;
		return *p & 7;
	}
	return -1;
}

static void acpi_s5(void)
{
	const struct acpi_header *fadt = acpi_find_table("FACP");
	const u8 *f = (const u8 *)fadt;
	u16 pm1[2];
	u32 smi_cmd;
	int slp;

	if (!acpi_pm1_control_ports(pm1) || !pm1[0])
		return;
	slp = find_s5_type(phys_to_virt(*(const u32 *)(f + 40))); /* FADT DSDT */
	smi_cmd = *(const u32 *)(f + 48);
	if (slp < 0)
		return;
	if (!(inw(pm1[0]) & PM1_SCI_EN) && smi_cmd) {
		outb((u16)smi_cmd, f[52]); /* ACPI_ENABLE */
		for (int i = 0; i < 300000 && !(inw(pm1[0]) & PM1_SCI_EN); i++)
			io_delay();
	}
	for (int i = 0; i < 2; i++)
		if (pm1[i])
			outw(pm1[i], (u16)(slp << PM1_SLP_TYP_SHIFT | PM1_SLP_EN));
	for (int i = 0; i < 100000; i++)
		io_delay();
}

void power_off(int code)
{
	con_set_sinks(CON_ALL);
	log_line("poweroff code=%d", code);
	emulator_exit((u8)code);
	acpi_s5();
	log_line("the machine did not power off (no ACPI S5); halting");
	hv_halt();
}
