/* fmt_vsnprintf: the printf subset of lib/format.h, plus the flags '+'
 * ' ' '#', integer precision and the lengths j t, which cost little and
 * which -Wformat would let through. Built into 16-bit stage 2 (gcc -m16,
 * no libgcc), the hypervisor and the host tests, so it never divides a
 * 64-bit number: see fmt_div10(). */
#include <stdarg.h>
#include "format.h"
#include "string.h"

/* Widths and precisions beyond this are clamped: no caller needs them and
 * clamping keeps the digit parser free of signed overflow. */
#define FMT_MAX_WIDTH 0x100000

enum fmt_len { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

struct fmt_out {
	char *buf;
	size_t n;
	size_t pos; /* length of the full output so far */
};

struct fmt_spec {
	bool left;
	bool zero;
	bool plus;  /* '+': signed conversions show '+' */
	bool space; /* ' ': signed conversions show ' ' */
	bool alt;   /* '#': %x shows 0x */
	int width;
	int prec; /* -1 when absent */
	enum fmt_len len;
};

static void out_char(struct fmt_out *o, char c)
{
	/* Keep the last byte of buf for the NUL. */
	if (o->pos + 1 < o->n)
		o->buf[o->pos] = c;
	o->pos++;
}

static void out_repeat(struct fmt_out *o, char c, int count)
{
	while (count-- > 0)
		out_char(o, c);
}

static void out_mem(struct fmt_out *o, const char *s, int len)
{
	while (len-- > 0)
		out_char(o, *s++);
}

/* Divides *v by 10 and returns the remainder, one 16-bit digit at a time:
 * each step divides a value below 10 * 2^16, so 32-bit division suffices
 * and -m16 code needs no __udivdi3/__umoddi3. */
static unsigned fmt_div10(u64 *v)
{
	u64 q = 0;
	u32 rem = 0;
	int shift;

	for (shift = 48; shift >= 0; shift -= 16) {
		u32 cur = (rem << 16) | (u32)((*v >> shift) & 0xffff);

		q |= (u64)(cur / 10) << shift;
		rem = cur % 10;
	}
	*v = q;
	return rem;
}

/* Writes prefix (sign or "0x"), zeros and digits, padded to the width. */
static void out_number(struct fmt_out *o, const struct fmt_spec *sp, u64 v,
		       unsigned base, bool upper, const char *prefix, int plen)
{
	const char *xdigits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[24]; /* 2^64 - 1 has 20 decimal, 16 hex digits */
	int nd = 0, zeros, pad;

	/* C: a zero value with precision 0 prints no digits. */
	if (!(v == 0 && sp->prec == 0)) {
		do {
			if (base == 16) {
				digits[nd++] = xdigits[v & 15];
				v >>= 4;
			} else {
				digits[nd++] = (char)('0' + fmt_div10(&v));
			}
		} while (v);
	}
	zeros = sp->prec > nd ? sp->prec - nd : 0;
	pad = sp->width - (plen + zeros + nd);
	/* C: the '0' flag is ignored when a precision is given. */
	if (!sp->left && sp->zero && sp->prec < 0 && pad > 0) {
		zeros += pad;
		pad = 0;
	}
	if (!sp->left)
		out_repeat(o, ' ', pad);
	out_mem(o, prefix, plen);
	out_repeat(o, '0', zeros);
	while (nd > 0)
		out_char(o, digits[--nd]);
	if (sp->left)
		out_repeat(o, ' ', pad);
}

/* Strings and characters pad with spaces only. */
static void out_padded(struct fmt_out *o, const struct fmt_spec *sp,
		       const char *s, int len)
{
	int pad = sp->width - len;

	if (!sp->left)
		out_repeat(o, ' ', pad);
	out_mem(o, s, len);
	if (sp->left)
		out_repeat(o, ' ', pad);
}

static void out_string(struct fmt_out *o, const struct fmt_spec *sp,
		       const char *s)
{
	int len = 0;

	if (!s)
		s = "(null)";
	/* With a precision, s need not be NUL-terminated: stop at prec. */
	while ((sp->prec < 0 || len < sp->prec) && len < FMT_MAX_WIDTH &&
	       s[len])
		len++;
	out_padded(o, sp, s, len);
}

static s64 arg_signed(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->len) {
	case LEN_CHAR:
		return (signed char)va_arg(*ap, int);
	case LEN_SHORT:
		return (short)va_arg(*ap, int);
	case LEN_LONG:
		return va_arg(*ap, long);
	case LEN_LLONG:
		return va_arg(*ap, long long);
	case LEN_SIZE:
		/* The signed type of size_t's width. */
		return (ptrdiff_t)va_arg(*ap, size_t);
	default:
		return va_arg(*ap, int);
	}
}

static u64 arg_unsigned(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->len) {
	case LEN_CHAR:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_SHORT:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_LONG:
		return va_arg(*ap, unsigned long);
	case LEN_LLONG:
		return va_arg(*ap, unsigned long long);
	case LEN_SIZE:
		return va_arg(*ap, size_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static int parse_num(const char **fmt)
{
	int v = 0;

	while (**fmt >= '0' && **fmt <= '9') {
		if (v < FMT_MAX_WIDTH)
			v = v * 10 + (**fmt - '0');
		(*fmt)++;
	}
	return v < FMT_MAX_WIDTH ? v : FMT_MAX_WIDTH;
}

/* Parses flags, width, precision and length after '%'; *fmt is left on
 * the conversion character. */
static void parse_spec(const char **fmt, struct fmt_spec *sp, va_list *ap)
{
	const char *f = *fmt;

	sp->left = sp->zero = sp->plus = sp->space = sp->alt = false;
	sp->prec = -1;
	sp->len = LEN_INT;
	/* '+' ' ' '#' are not promised by format.h, but -Wformat accepts
	 * them: printing them literally would shift every later argument. */
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '+')
			sp->plus = true;
		else if (*f == ' ')
			sp->space = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		int w = va_arg(*ap, int);

		f++;
		/* C: a negative width from * means '-' and its magnitude. */
		if (w < 0) {
			sp->left = true;
			w = w < -FMT_MAX_WIDTH ? FMT_MAX_WIDTH : -w;
		}
		sp->width = w < FMT_MAX_WIDTH ? w : FMT_MAX_WIDTH;
	} else {
		sp->width = parse_num(&f);
	}
	if (*f == '.') {
		f++;
		if (*f == '*') {
			int p = va_arg(*ap, int);

			f++;
			/* C: a negative precision counts as none. */
			sp->prec = p < 0 ? -1 : (p < FMT_MAX_WIDTH ? p : FMT_MAX_WIDTH);
		} else {
			sp->prec = parse_num(&f);
		}
	}
	if (*f == 'h') {
		f++;
		sp->len = LEN_SHORT;
		if (*f == 'h') {
			f++;
			sp->len = LEN_CHAR;
		}
	} else if (*f == 'l') {
		f++;
		sp->len = LEN_LONG;
		if (*f == 'l') {
			f++;
			sp->len = LEN_LLONG;
		}
	} else if (*f == 'z' || *f == 't') {
		f++;
		sp->len = LEN_SIZE;
	} else if (*f == 'j') {
		f++;
		sp->len = LEN_LLONG;
	}
	*fmt = f;
}

/* Formats one conversion; returns false for one this file does not know. */
static bool format_one(struct fmt_out *o, struct fmt_spec *sp, char conv,
		       va_list *ap)
{
	const char *sign;
	char c;
	s64 s;
	u64 u;

	switch (conv) {
	case 'd':
	case 'i':
		s = arg_signed(sp, ap);
		/* 0 - (u64)s is the magnitude, INT64_MIN included. */
		u = s < 0 ? 0 - (u64)s : (u64)s;
		sign = s < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "";
		out_number(o, sp, u, 10, false, sign, *sign != '\0');
		return true;
	case 'u':
		out_number(o, sp, arg_unsigned(sp, ap), 10, false, "", 0);
		return true;
	case 'x':
	case 'X':
		u = arg_unsigned(sp, ap);
		/* C: '#' adds 0x only to a nonzero value. */
		out_number(o, sp, u, 16, conv == 'X', conv == 'X' ? "0X" : "0x",
			   sp->alt && u ? 2 : 0);
		return true;
	case 'p':
		/* "0x" and hex digits, padded like a number, as glibc does. */
		u = (uintptr_t)va_arg(*ap, void *);
		out_number(o, sp, u, 16, false, "0x", 2);
		return true;
	case 's':
		out_string(o, sp, va_arg(*ap, const char *));
		return true;
	case 'c':
		c = (char)va_arg(*ap, int);
		out_padded(o, sp, &c, 1);
		return true;
	case '%':
		out_char(o, '%');
		return true;
	default:
		return false;
	}
}

int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct fmt_out o = { buf, n, 0 };
	struct fmt_spec sp;
	const char *start;
	va_list args;

	/* A va_list copy lets helpers take it by pointer on every ABI. */
	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		start = fmt++;
		parse_spec(&fmt, &sp, &args);
		if (format_one(&o, &sp, *fmt, &args)) {
			fmt++;
			continue;
		}
		/* Unknown conversion (or '%' at the end): print it as written. */
		if (*fmt)
			fmt++;
		out_mem(&o, start, (int)(fmt - start));
	}
	va_end(args);
	if (n > 0)
		buf[o.pos < n ? o.pos : n - 1] = '\0';
	return (int)o.pos;
}

int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fmt_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
