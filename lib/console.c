#include "console.h"
#include "format.h"
#include "io.h"
#include "string.h"

/* 16550 UART registers, as offsets from the base port. */
#define UART_DATA 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LCR_DLAB 0x80
#define UART_LSR_DR 0x01   /* data ready */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_LSR_TEMT 0x40 /* transmitter empty: FIFO and shift register */

/* VGA CRT controller: the hardware cursor location registers. */
#define VGA_CRTC_INDEX 0x3D4
#define VGA_CRTC_DATA 0x3D5
#define VGA_CRTC_CURSOR_HI 0x0E
#define VGA_CRTC_CURSOR_LO 0x0F

/* Owned by whoever calls con_init(); stage 2 and the hypervisor each have
 * their own copy, and both run on one CPU. */
static unsigned con_active;
static unsigned con_allowed = CON_ALL;
static int vga_row, vga_col;

static volatile u16 *vga_cell(int row, int col)
{
	return (volatile u16 *)flat_ptr(VGA_TEXT_BASE) + row * VGA_COLS + col;
}

void vga_set_cursor(int row, int col)
{
	u16 pos = (u16)(row * VGA_COLS + col);

	vga_row = row;
	vga_col = col;
	outb(VGA_CRTC_INDEX, VGA_CRTC_CURSOR_HI);
	outb(VGA_CRTC_DATA, (u8)(pos >> 8));
	outb(VGA_CRTC_INDEX, VGA_CRTC_CURSOR_LO);
	outb(VGA_CRTC_DATA, (u8)pos);
}

static void vga_get_cursor(void)
{
	u16 pos;

	outb(VGA_CRTC_INDEX, VGA_CRTC_CURSOR_HI);
	pos = (u16)(inb(VGA_CRTC_DATA) << 8);
	outb(VGA_CRTC_INDEX, VGA_CRTC_CURSOR_LO);
	pos |= inb(VGA_CRTC_DATA);
	if (pos >= VGA_ROWS * VGA_COLS)
		pos = 0;
	vga_row = pos / VGA_COLS;
	vga_col = pos % VGA_COLS;
}

void vga_clear(void)
{
	for (int i = 0; i < VGA_ROWS * VGA_COLS; i++)
		vga_cell(0, 0)[i] = (VGA_ATTR_NORMAL << 8) | ' ';
	vga_set_cursor(0, 0);
}

void vga_put_at(int row, int col, u8 attr, const char *s)
{
	for (; *s && col < VGA_COLS; s++, col++)
		*vga_cell(row, col) = (u16)(attr << 8 | (u8)*s);
}

static void vga_scroll(void)
{
	for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
		vga_cell(0, 0)[i] = vga_cell(1, 0)[i];
	for (int c = 0; c < VGA_COLS; c++)
		*vga_cell(VGA_ROWS - 1, c) = (VGA_ATTR_NORMAL << 8) | ' ';
}

static void vga_putc(char c)
{
	if (c == '\n') {
		vga_col = 0;
		vga_row++;
	} else if (c == '\r') {
		vga_col = 0;
	} else {
		*vga_cell(vga_row, vga_col) = (u16)(VGA_ATTR_NORMAL << 8 | (u8)c);
		if (++vga_col == VGA_COLS) {
			vga_col = 0;
			vga_row++;
		}
	}
	if (vga_row == VGA_ROWS) {
		vga_scroll();
		vga_row = VGA_ROWS - 1;
	}
}

static void serial_init(void)
{
	/* Let whatever the previous stage queued leave the wire first:
	 * clearing the FIFO below would drop it. Bounded: a missing UART
	 * reads 0xFF. */
	for (int i = 0; i < 100000; i++)
		if (inb(COM1_BASE + UART_LSR) & UART_LSR_TEMT)
			break;
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, UART_LCR_DLAB);
	outb(COM1_BASE + UART_DATA, 1); /* divisor 1: 115200 baud */
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, 0x03); /* 8 bits, no parity, 1 stop */
	outb(COM1_BASE + UART_FCR, 0x07); /* FIFO on and cleared */
	outb(COM1_BASE + UART_MCR, 0x03); /* DTR, RTS */
}

static void serial_putc(char c)
{
	/* Bounded wait: a missing UART reads 0xFF and so never blocks us. */
	for (int i = 0; i < 100000; i++)
		if (inb(COM1_BASE + UART_LSR) & UART_LSR_THRE)
			break;
	outb(COM1_BASE + UART_DATA, (u8)c);
}

int serial_getc(void)
{
	u8 lsr = inb(COM1_BASE + UART_LSR);

	if (lsr == 0xFF || !(lsr & UART_LSR_DR))
		return -1;
	return inb(COM1_BASE + UART_DATA);
}

void con_init(unsigned sinks)
{
	serial_init();
	vga_get_cursor();
	con_active = sinks & con_allowed;
}

void con_set_sinks(unsigned sinks)
{
	con_active = sinks & con_allowed;
}

void con_limit(unsigned sinks)
{
	con_allowed = sinks;
	con_active &= sinks;
}

unsigned con_sinks(void)
{
	return con_active;
}

void con_putc(char c)
{
	if (con_active & CON_E9)
		outb(DEBUGCON_PORT, (u8)c);
	if (con_active & CON_COM1) {
		if (c == '\n')
			serial_putc('\r');
		serial_putc(c);
	}
	if (con_active & CON_VGA)
		vga_putc(c);
}

void con_write(const char *s, size_t n)
{
	while (n--)
		con_putc(*s++);
	if (con_active & CON_VGA)
		vga_set_cursor(vga_row, vga_col);
}

int con_vprintf(const char *fmt, va_list ap)
{
	char buf[256];
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);

	con_write(buf, strlen(buf));
	return n;
}

int con_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = con_vprintf(fmt, ap);
	va_end(ap);
	return n;
}
