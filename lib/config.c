/* The KEEL.CFG parser (grammar: DESIGN.md "KEEL.CFG", docs/config.md).
 *
 * Built three times: into stage 2 with -m16 (an ~8 KiB stack, no libgcc, so
 * no 64-bit division and only small locals), into the hypervisor, and into
 * the host unit tests. The text is read line by line in one pass; nothing is
 * copied except the values stored in struct config. */
#include "config.h"
#include "string.h"

#define WORD_SHOW_MAX 40        /* longest word quoted whole in a message */

/* Keys of a guest line, one bit each, so a guest remembers what it saw. */
enum {
	KEY_IMAGE = 1 << 0, KEY_DRIVE = 1 << 1, KEY_PARTITION = 1 << 2,
	KEY_KERNEL = 1 << 3, KEY_INITRD = 1 << 4, KEY_CMDLINE = 1 << 5,
	KEY_FILE = 1 << 6, KEY_LOAD = 1 << 7, KEY_MODE = 1 << 8,
	KEY_CPUS = 1 << 9,
	KEY_TRACE = 1 << 10, KEY_CONSOLE = 1 << 11, KEY_WATCHDOG = 1 << 12,
};

/* Keys every kind takes. */
#define KEYS_ANY_KIND (KEY_TRACE | KEY_WATCHDOG | KEY_CPUS)

static const struct {
	const char *name;
	unsigned bit;
} guest_keys[] = {
	{ "image", KEY_IMAGE },   { "drive", KEY_DRIVE },
	{ "partition", KEY_PARTITION }, { "kernel", KEY_KERNEL },
	{ "initrd", KEY_INITRD }, { "cmdline", KEY_CMDLINE },
	{ "file", KEY_FILE },     { "load", KEY_LOAD },
	{ "mode", KEY_MODE },     { "trace", KEY_TRACE },
	{ "console", KEY_CONSOLE }, { "watchdog", KEY_WATCHDOG },
	{ "cpus", KEY_CPUS },
};

/* Indexed by enum cfg_guest_kind; the keys above go with every kind. */
static const unsigned kind_keys[] = {
	KEY_IMAGE | KEY_DRIVE | KEY_PARTITION | KEY_CONSOLE,
	KEY_KERNEL | KEY_INITRD | KEY_CMDLINE,
	KEY_FILE | KEY_LOAD | KEY_MODE,
	KEY_FILE | KEY_CMDLINE,
};

static const char *const kind_names[] = { "bios", "linux", "flat", "multiboot" };
static const char *const mode_names[] = { "real", "protected", "long" };
static const char *const after_names[] = { "poweroff", "restart", "menu" };
static const char *const console_names[] = { "screen", "serial" };

/* One word of a line. A quoted part may open the word or follow its first
 * '='; it always ends the word (the lexer checks both). */
struct token {
	const char *s;
	size_t len;
	size_t eq;              /* index of the first '=', or len when none */
	bool quoted;
};

struct parser {
	struct config *cfg;
	struct cfg_error *err;
	size_t msg_len;         /* bytes used in err->msg */
	int line;               /* 1-based number of the line being read */
	const char *p, *end;    /* the rest of the current line */
	struct cfg_entry *cur;  /* the entry being read, NULL outside one */
	int after_line;         /* line of cur's `after`, 0 when none yet */
	int timeout_line, default_line;
	const char *default_s;  /* default's value as written, for the late check */
	size_t default_n;
	u64 default_v;
};

/* ---- error messages: short, lower case, naming the offending word ---- */

static void msg_mem(struct parser *ps, const char *s, size_t n)
{
	while (n-- && ps->msg_len < CFG_ERR_MAX - 1)
		ps->err->msg[ps->msg_len++] = *s++;
	ps->err->msg[ps->msg_len] = '\0';
}

/* Returns -1 so that a failing path can end with the message's last part. */
static int msg_str(struct parser *ps, const char *s)
{
	msg_mem(ps, s, strlen(s));
	return -1;
}

/* 32-bit division only: stage 2 has no __udivdi3. */
static void msg_uint(struct parser *ps, unsigned v)
{
	char buf[12];
	int i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	msg_mem(ps, buf + i, sizeof(buf) - i);
}

/* Shifts only, for the same reason. */
static int msg_hex(struct parser *ps, u64 v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[16];
	int i = sizeof(buf);

	do {
		buf[--i] = digits[v & 15];
		v >>= 4;
	} while (v);
	msg_str(ps, "0x");
	msg_mem(ps, buf + i, sizeof(buf) - i);
	return -1;
}

static int msg_num(struct parser *ps, const char *pre, unsigned v,
		   const char *post)
{
	msg_str(ps, pre);
	msg_uint(ps, v);
	return msg_str(ps, post);
}

/* Quotes a word, shortened so that the rest of the message still fits. */
static void msg_word(struct parser *ps, const char *s, size_t n)
{
	msg_str(ps, "'");
	if (n > WORD_SHOW_MAX) {
		msg_mem(ps, s, WORD_SHOW_MAX - 3);
		msg_str(ps, "...");
	} else {
		msg_mem(ps, s, n);
	}
	msg_str(ps, "'");
}

/* Starts a message for the current line; callers may append to it. */
static int fail(struct parser *ps, const char *msg)
{
	ps->err->line = ps->line;
	ps->msg_len = 0;
	return msg_str(ps, msg);
}

static int fail_word(struct parser *ps, const char *pre, const char *s,
		     size_t n, const char *post)
{
	fail(ps, pre);
	msg_word(ps, s, n);
	return msg_str(ps, post);
}

/* ---- words and numbers ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

static int lookup(const char *const names[], int count, const char *s, size_t n)
{
	int i;

	for (i = 0; i < count; i++)
		if (word_is(s, n, names[i]))
			return i;
	return -1;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decimal or 0x-hex, nothing else: no sign, no junk, no overflow. The
 * limits are constants so the compiler folds the only 64-bit division. */
static bool parse_u64(const char *s, size_t n, u64 *out)
{
	u64 v = 0;
	size_t i;
	int d;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n; i++) {
			d = hex_digit(s[i]);
			if (d < 0 || (v >> 60) != 0)
				return false;
			v = (v << 4) | (u64)d;
		}
		*out = v;
		return true;
	}
	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		d = s[i] - '0';
		if (v > UINT64_MAX / 10 ||
		    (v == UINT64_MAX / 10 && (u64)d > UINT64_MAX % 10))
			return false;
		v = v * 10 + (u64)d;
	}
	*out = v;
	return true;
}

/* FAT short-name characters (besides letters and digits). */
static bool is_name_char(char c)
{
	static const char extra[] = "!#$%&'()-@^_`{}~";
	size_t i;

	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	for (i = 0; i < sizeof(extra) - 1; i++)
		if (c == extra[i])
			return true;
	return false;
}

/* Stores an 8.3 name upper-cased, the way FAT keeps it on disk. */
static int copy_name(struct parser *ps, char *dst, const char *s, size_t n)
{
	size_t i, base = 0, ext = 0;
	bool dot = false;

	for (i = 0; i < n; i++) {
		if (s[i] == '.' && !dot)
			dot = true;
		else if (!is_name_char(s[i]))
			break;
		else if (dot)
			ext++;
		else
			base++;
	}
	if (i < n || base < 1 || base > 8 || (dot && (ext < 1 || ext > 3)))
		return fail_word(ps, "", s, n, " is not an 8.3 file name");
	for (i = 0; i < n; i++)
		dst[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
	dst[n] = '\0';
	return 0;
}

/* ---- the lexer: one line at a time ---- */

/* Returns 1 and the next word, 0 at the end of the line or at a comment,
 * -1 on a quoting error. */
static int next_token(struct parser *ps, struct token *t)
{
	const char *q;

	while (ps->p < ps->end && is_blank(*ps->p))
		ps->p++;
	if (ps->p == ps->end || *ps->p == '#')
		return 0;
	t->s = ps->p;
	t->eq = (size_t)-1;
	t->quoted = false;
	for (q = ps->p; q < ps->end && !is_blank(*q) && *q != '#'; q++) {
		if (*q == '=' && t->eq == (size_t)-1)
			t->eq = (size_t)(q - t->s);
		if (*q != '"')
			continue;
		/* t->eq + 1 wraps to 0 when there is no '=' yet */
		if ((size_t)(q - t->s) != t->eq + 1) {
			while (q < ps->end && !is_blank(*q))
				q++;
			return fail_word(ps, "unexpected quote in ", t->s,
					 (size_t)(q - t->s), "");
		}
		for (q++; q < ps->end && *q != '"'; q++)
			;
		if (q == ps->end)
			return fail(ps, "unterminated quote");
		t->quoted = true;
		if (++q < ps->end && !is_blank(*q) && *q != '#') {
			const char *junk = q;

			while (q < ps->end && !is_blank(*q))
				q++;
			return fail_word(ps, "text ", junk, (size_t)(q - junk),
					 " after closing quote");
		}
		break;
	}
	t->len = (size_t)(q - t->s);
	if (t->eq == (size_t)-1)
		t->eq = t->len;
	ps->p = q;
	return 1;
}

/* Reads a positional word (title, number, kind): a quoted word gives
 * what is between its quotes, a bare word itself. When the line has no
 * more words, the error is "<missing><what>". */
static int next_plain(struct parser *ps, const char *missing, const char *what,
		      const char **s, size_t *n)
{
	struct token t;
	int r;

	r = next_token(ps, &t);
	if (r < 0)
		return -1;
	if (r == 0) {
		fail(ps, missing);
		return msg_str(ps, what);
	}
	if (t.quoted && t.s[0] != '"')
		return fail_word(ps, "unexpected quote in ", t.s, t.len, "");
	*s = t.s + t.quoted;
	*n = t.len - 2 * t.quoted;
	return 0;
}

/* Nothing but blanks or a comment may follow the last word of a line. */
static int expect_end(struct parser *ps, const char *what)
{
	struct token t;
	int r;

	r = next_token(ps, &t);
	if (r < 0)
		return -1;
	if (r > 0) {
		fail_word(ps, "extra word ", t.s, t.len, " after ");
		return msg_str(ps, what);
	}
	return 0;
}

/* ---- global lines ---- */

/* A number line: `timeout N` or `default N`. Each may appear once. */
static int parse_number_line(struct parser *ps, const char *keyword,
			     int *seen_line, const char **s, size_t *n, u64 *v)
{
	if (*seen_line) {
		fail(ps, "duplicate ");
		msg_str(ps, keyword);
		return msg_num(ps, " (first on line ", (unsigned)*seen_line, ")");
	}
	*seen_line = ps->line;
	if (next_plain(ps, "missing value for ", keyword, s, n))
		return -1;
	if (!parse_u64(*s, *n, v)) {
		fail_word(ps, "bad number ", *s, *n, " for ");
		return msg_str(ps, keyword);
	}
	return expect_end(ps, keyword);
}

static int parse_timeout(struct parser *ps)
{
	const char *s;
	size_t n;
	u64 v;

	if (parse_number_line(ps, "timeout", &ps->timeout_line, &s, &n, &v))
		return -1;
	if (v > CFG_MAX_TIMEOUT) {
		fail_word(ps, "timeout ", s, n, "");
		return msg_num(ps, " out of range (0..", CFG_MAX_TIMEOUT, ")");
	}
	ps->cfg->timeout = (int)v;
	return 0;
}

/* The range of `default` is known only at the end of the file. */
static int parse_default(struct parser *ps)
{
	return parse_number_line(ps, "default", &ps->default_line,
				 &ps->default_s, &ps->default_n, &ps->default_v);
}

/* ---- entries ---- */

/* Ends the entry being read; an entry must start at least one guest. */
static int close_entry(struct parser *ps)
{
	struct cfg_entry *e = ps->cur;

	ps->cur = NULL;
	if (!e || e->nguests > 0)
		return 0;
	ps->line = e->line;
	fail_word(ps, "entry ", e->title, strlen(e->title), " has no guest line");
	return -1;
}

static int parse_entry(struct parser *ps, u32 line_start, u32 line_end)
{
	struct cfg_entry *e;
	const char *s;
	size_t n;

	if (close_entry(ps))
		return -1;
	if (ps->cfg->nentries == CFG_MAX_ENTRIES) {
		fail(ps, "too many entries");
		return msg_num(ps, " (max ", CFG_MAX_ENTRIES, ")");
	}
	if (next_plain(ps, "missing title for ", "entry", &s, &n))
		return -1;
	if (n == 0)
		return fail(ps, "empty entry title");
	if (n > CFG_TITLE_MAX - 1) {
		fail_word(ps, "title ", s, n, " too long");
		return msg_num(ps, " (max ", CFG_TITLE_MAX - 1, " characters)");
	}
	if (expect_end(ps, "entry title"))
		return -1;
	e = &ps->cfg->entries[ps->cfg->nentries++];
	memcpy(e->title, s, n);
	e->title[n] = '\0';
	e->line = ps->line;
	e->src_start = line_start;
	e->src_end = line_end;
	e->after = CFG_AFTER_POWEROFF;
	ps->cur = e;
	ps->after_line = 0;
	return 0;
}

static int parse_after(struct parser *ps, u32 line_end)
{
	const char *s;
	size_t n;
	int v;

	if (!ps->cur)
		return fail(ps, "after line outside an entry");
	if (ps->after_line) {
		fail(ps, "duplicate after in entry");
		return msg_num(ps, " (first on line ", (unsigned)ps->after_line, ")");
	}
	if (next_plain(ps, "missing value for ", "after", &s, &n))
		return -1;
	v = lookup(after_names, ARRAY_SIZE(after_names), s, n);
	if (v < 0)
		return fail_word(ps, "unknown after ", s, n,
				 " (poweroff, restart or menu)");
	if (expect_end(ps, "after"))
		return -1;
	ps->cur->after = (enum cfg_after)v;
	ps->cur->src_end = line_end;
	ps->after_line = ps->line;
	return 0;
}

/* ---- guest lines ---- */

static int guest_number(struct parser *ps, const char *key, const char *s,
			size_t n, unsigned min, unsigned max, u64 *v)
{
	if (!parse_u64(s, n, v)) {
		fail_word(ps, "bad number ", s, n, " for ");
		return msg_str(ps, key);
	}
	if (*v < min || *v > max) {
		fail(ps, key);
		msg_str(ps, " ");
		msg_word(ps, s, n);
		msg_num(ps, " out of range (", min, "..");
		return msg_num(ps, "", max, ")");
	}
	return 0;
}

/* Stores one value; the key is known to be valid for the guest's kind. */
static int guest_value(struct parser *ps, struct cfg_guest *g, unsigned key,
		       const char *s, size_t n)
{
	u64 v;
	int m;

	switch (key) {
	case KEY_IMAGE:
		return copy_name(ps, g->image, s, n);
	case KEY_KERNEL:
		return copy_name(ps, g->kernel, s, n);
	case KEY_INITRD:
		return copy_name(ps, g->initrd, s, n);
	case KEY_FILE:
		return copy_name(ps, g->file, s, n);
	case KEY_DRIVE:
		if (guest_number(ps, "drive", s, n, 0, 255, &v))
			return -1;
		g->drive = (u8)v;
		return 0;
	case KEY_PARTITION:
		if (guest_number(ps, "partition", s, n, 1, 4, &v))
			return -1;
		g->partition = (u8)v;
		return 0;
	case KEY_CPUS:
		/* The machine's count is checked by the hypervisor, which knows it. */
		if (guest_number(ps, "cpus", s, n, 1, CFG_MAX_CPUS, &v))
			return -1;
		g->cpus = (u16)v;
		return 0;
	case KEY_WATCHDOG:
		if (guest_number(ps, "watchdog", s, n, 1, CFG_MAX_WATCHDOG, &v))
			return -1;
		g->watchdog = (u16)v;
		return 0;
	case KEY_LOAD:
		if (!parse_u64(s, n, &g->load))
			return fail_word(ps, "bad number ", s, n, " for load");
		if (g->load >> 32)
			return fail_word(ps, "load ", s, n, " is not below 4 GiB");
		return 0;
	case KEY_MODE:
		m = lookup(mode_names, ARRAY_SIZE(mode_names), s, n);
		if (m < 0)
			return fail_word(ps, "unknown mode ", s, n,
					 " (real, protected or long)");
		g->mode = (enum cfg_mode)m;
		return 0;
	case KEY_TRACE:
		if (guest_number(ps, "trace", s, n, 0, CFG_TRACE_MAX, &v))
			return -1;
		g->trace = (u32)v;
		return 0;
	case KEY_CONSOLE:
		m = lookup(console_names, ARRAY_SIZE(console_names), s, n);
		if (m < 0)
			return fail_word(ps, "unknown console ", s, n, " (screen or serial)");
		g->serial_console = m == 1;
		return 0;
	default: /* KEY_CMDLINE */
		if (n > CFG_CMDLINE_MAX - 1) {
			fail(ps, "cmdline too long");
			return msg_num(ps, " (max ", CFG_CMDLINE_MAX - 1, " characters)");
		}
		memcpy(g->cmdline, s, n);
		g->cmdline[n] = '\0';
		g->has_cmdline = true;
		return 0;
	}
}

/* Splits key=value, checks the key against the guest's kind. */
static int guest_key(struct parser *ps, struct cfg_guest *g,
		     const struct token *t, unsigned *seen)
{
	const char *s = t->s + t->eq + 1;
	size_t n = t->len - t->eq - 1, i;
	unsigned key = 0;

	if (t->eq == t->len)
		return fail_word(ps, "missing '=' in ", t->s, t->len, "");
	if (t->eq == 0)
		return fail_word(ps, "missing key before '=' in ", t->s, t->len, "");
	for (i = 0; i < ARRAY_SIZE(guest_keys); i++)
		if (word_is(t->s, t->eq, guest_keys[i].name))
			key = guest_keys[i].bit;
	if (!(key & (kind_keys[g->kind] | KEYS_ANY_KIND))) {
		fail_word(ps, "unknown key ", t->s, t->eq, " for guest ");
		return msg_str(ps, kind_names[g->kind]);
	}
	if (*seen & key)
		return fail_word(ps, "duplicate key ", t->s, t->eq, "");
	*seen |= key;
	if (t->quoted) {
		s++;
		n -= 2;
	}
	/* An empty command line is one (GRUB's and SYSLINUX's empty append);
	 * an empty file name or number is a mistake. */
	if (n == 0 && key != KEY_CMDLINE) {
		fail(ps, "empty value for ");
		msg_mem(ps, t->s, t->eq + 1);
		return -1;
	}
	return guest_value(ps, g, key, s, n);
}

static int fail_missing(struct parser *ps, const char *key,
			enum cfg_guest_kind kind)
{
	fail(ps, "missing ");
	msg_str(ps, key);
	msg_str(ps, "= for guest ");
	return msg_str(ps, kind_names[kind]);
}

/* Rules between keys, checked once the whole line is read. */
static int guest_check(struct parser *ps, const struct cfg_guest *g,
		       unsigned seen)
{
	switch (g->kind) {
	case CFG_GUEST_BIOS:
		if (!(seen & (KEY_IMAGE | KEY_PARTITION)))
			return fail(ps, "missing image= or partition= for guest bios");
		if ((seen & KEY_IMAGE) && (seen & KEY_PARTITION))
			return fail(ps, "image= and partition= exclude each other");
		if ((seen & KEY_DRIVE) && !(seen & KEY_IMAGE))
			return fail(ps, "drive= needs image=");
		return 0;
	case CFG_GUEST_LINUX:
		if (!(seen & KEY_KERNEL))
			return fail_missing(ps, "kernel", g->kind);
		return 0;
	case CFG_GUEST_FLAT:
		if (!(seen & KEY_FILE))
			return fail_missing(ps, "file", g->kind);
		if (!(seen & KEY_LOAD))
			return fail_missing(ps, "load", g->kind);
		/* DESIGN.md: in real mode CS:IP = (load >> 4):0 */
		if (g->mode != CFG_MODE_REAL)
			return 0;
		if (g->load >= MiB(1) || (g->load & 15)) {
			fail(ps, "load ");
			msg_hex(ps, g->load);
			msg_str(ps, g->load & 15 ? " is not 16-byte aligned" :
				    " is not below 1 MiB");
			return msg_str(ps, " (needed for mode=real)");
		}
		return 0;
	default: /* CFG_GUEST_MULTIBOOT */
		if (!(seen & KEY_FILE))
			return fail_missing(ps, "file", g->kind);
		return 0;
	}
}

static int parse_guest(struct parser *ps, u32 line_end)
{
	struct cfg_entry *e = ps->cur;
	struct cfg_guest *g;
	struct token t;
	unsigned seen = 0;
	const char *s;
	size_t n;
	int r, kind;

	if (!e)
		return fail(ps, "guest line outside an entry");
	if (e->nguests == CFG_MAX_GUESTS) {
		fail(ps, "too many guests in entry");
		return msg_num(ps, " (max ", CFG_MAX_GUESTS, ")");
	}
	if (next_plain(ps, "missing guest ", "kind", &s, &n))
		return -1;
	kind = lookup(kind_names, ARRAY_SIZE(kind_names), s, n);
	if (kind < 0)
		return fail_word(ps, "unknown guest kind ", s, n, "");
	g = &e->guests[e->nguests];
	memset(g, 0, sizeof(*g));
	g->kind = (enum cfg_guest_kind)kind;
	g->line = ps->line;
	while ((r = next_token(ps, &t)) > 0)
		if (guest_key(ps, g, &t, &seen))
			return -1;
	if (r < 0 || guest_check(ps, g, seen))
		return -1;
	e->nguests++;
	e->src_end = line_end;
	return 0;
}

/* ---- lines and the file ---- */

/* Only tab among the control characters; CR only right before LF. */
static int check_chars(struct parser *ps, const char *s, size_t n)
{
	size_t i;
	u8 c;

	for (i = 0; i < n; i++) {
		c = (u8)s[i];
		if (c == 0)
			return fail(ps, "nul byte (control character 0x00)");
		if (c == '\r')
			return fail(ps, "carriage return without line feed");
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			fail(ps, "control character ");
			return msg_hex(ps, c);
		}
	}
	return 0;
}

/* One line, text[start..end) without its line break; next is where the
 * following line starts, i.e. the end of this one with its break. */
static int parse_line(struct parser *ps, const char *text, u32 start,
		      u32 end, u32 next)
{
	struct token t;
	int r;

	if (check_chars(ps, text + start, end - start))
		return -1;
	ps->p = text + start;
	ps->end = text + end;
	r = next_token(ps, &t);
	if (r <= 0)
		return r;
	if (word_is(t.s, t.len, "entry"))
		return parse_entry(ps, start, next);
	if (word_is(t.s, t.len, "guest"))
		return parse_guest(ps, next);
	if (word_is(t.s, t.len, "after"))
		return parse_after(ps, next);
	/* A global line ends the entry before it, so that an entry's bytes
	 * hold only its own lines. */
	if (word_is(t.s, t.len, "timeout"))
		return close_entry(ps) || parse_timeout(ps) ? -1 : 0;
	if (word_is(t.s, t.len, "default"))
		return close_entry(ps) || parse_default(ps) ? -1 : 0;
	return fail_word(ps, "unknown keyword ", t.s, t.len, "");
}

/* What can only be judged once every line is read. */
static int parse_finish(struct parser *ps)
{
	struct config *cfg = ps->cfg;

	if (close_entry(ps))
		return -1;
	if (cfg->nentries == 0) {
		ps->line = 0;
		return fail(ps, "no entry");
	}
	if (ps->default_line) {
		if (ps->default_v < 1 || ps->default_v > (u64)cfg->nentries) {
			ps->line = ps->default_line;
			fail_word(ps, "default ", ps->default_s, ps->default_n, "");
			return msg_num(ps, " out of range (1..",
				       (unsigned)cfg->nentries, ")");
		}
		cfg->default_entry = (int)ps->default_v;
	}
	return 0;
}

int cfg_parse(const char *text, size_t len, struct config *cfg, struct cfg_error *err)
{
	struct cfg_error scratch;
	struct parser ps;
	u32 pos = 0, end, eol;

	memset(&ps, 0, sizeof(ps));
	ps.cfg = cfg;
	ps.err = err ? err : &scratch;
	ps.err->line = 0;
	ps.err->msg[0] = '\0';
	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = CFG_DEFAULT_TIMEOUT;
	cfg->default_entry = 1;
	/* Offsets are u32 in struct cfg_entry. */
	if ((u32)len != len)
		return fail(&ps, "file too large");
	/* A UTF-8 byte order mark, as some editors write, is not text. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		ps.line++;
		for (eol = pos; eol < len && text[eol] != '\n'; eol++)
			;
		end = eol;
		if (eol < len && end > pos && text[end - 1] == '\r')
			end--;
		if (eol < len)
			eol++;
		if (parse_line(&ps, text, pos, end, eol))
			return -1;
		pos = eol;
	}
	return parse_finish(&ps);
}

/* The files guest g names: its image, kernel or file, and an initrd. */
static void guest_files(const struct cfg_guest *g, const char *cand[2])
{
	cand[0] = g->kind == CFG_GUEST_BIOS ? g->image :
		  g->kind == CFG_GUEST_LINUX ? g->kernel : g->file;
	cand[1] = g->kind == CFG_GUEST_LINUX ? g->initrd : "";
}

int cfg_entry_files(const struct cfg_entry *e, const char *names[], int max)
{
	const char *cand[2];
	int i, j, k, n = 0;

	for (i = 0; i < e->nguests; i++) {
		guest_files(&e->guests[i], cand);
		for (j = 0; j < 2; j++) {
			if (!cand[j][0])
				continue;
			for (k = 0; k < n && strcmp(names[k], cand[j]); k++)
				;
			if (k == n && n < max)
				names[n++] = cand[j];
		}
	}
	return n;
}

int cfg_file_last_guest(const struct cfg_entry *e, const char *name)
{
	const char *cand[2];

	if (!name[0])
		return -1;
	for (int i = e->nguests - 1; i >= 0; i--) {
		guest_files(&e->guests[i], cand);
		if (!strcmp(cand[0], name) || !strcmp(cand[1], name))
			return i;
	}
	return -1;
}

const char *cfg_kind_name(enum cfg_guest_kind kind)
{
	return (unsigned)kind < ARRAY_SIZE(kind_names) ? kind_names[kind] : "?";
}

const char *cfg_mode_name(enum cfg_mode mode)
{
	return (unsigned)mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "?";
}

const char *cfg_after_name(enum cfg_after after)
{
	return (unsigned)after < ARRAY_SIZE(after_names) ? after_names[after] : "?";
}
