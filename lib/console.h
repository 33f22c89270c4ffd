/* Keel's text console: the debug port 0xE9 (QEMU -debugcon, Bochs
 * port_e9_hack), COM1 and the VGA text screen. Stage 2 and the hypervisor
 * share it; the hypervisor drops COM1 and VGA once a guest owns them. */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include <stdarg.h>
#include "types.h"

#define CON_E9 (1u << 0)
#define CON_COM1 (1u << 1)
#define CON_VGA (1u << 2)
#define CON_ALL (CON_E9 | CON_COM1 | CON_VGA)

#define COM1_BASE 0x3F8
#define DEBUGCON_PORT 0xE9

#define VGA_TEXT_BASE 0xB8000
#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_ATTR_NORMAL 0x07
#define VGA_ATTR_HILITE 0x70

/* Programs COM1 (115200 8N1, FIFO on), finds the VGA cursor and selects the
 * sinks that receive output. */
void con_init(unsigned sinks);
void con_set_sinks(unsigned sinks);
/* Sinks that exist on this machine: later selections are masked with it
 * (no VGA text screen after UEFI firmware, which leaves a graphics mode). */
void con_limit(unsigned sinks);
unsigned con_sinks(void);

void con_putc(char c);
void con_write(const char *s, size_t n);
int con_vprintf(const char *fmt, va_list ap);
int con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A byte from COM1, or -1 when none is waiting. */
int serial_getc(void);

/* Direct screen access for the boot menu. */
void vga_clear(void);
void vga_put_at(int row, int col, u8 attr, const char *s);
void vga_set_cursor(int row, int col);

#endif
