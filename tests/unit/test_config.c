/* Host unit tests for lib/config.c, the KEEL.CFG parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "config.h"
#include "string.h"

/* -Ilib makes <string.h> resolve to lib/string.h, so the host C library's
 * other string functions are declared here. */
char *strstr(const char *haystack, const char *needle);
char *strcpy(char *dst, const char *src);
size_t strspn(const char *s, const char *accept);

/* The DESIGN.md example, verbatim. */
static const char example[] =
	"timeout 5                       # seconds the menu waits (0 = start at once)\n"
	"default 1                       # the entry started when the timeout ends\n"
	"\n"
	"entry \"FreeDOS, then Linux\"\n"
	"  guest bios  image=FDOS.IMG drive=0x00        # a disk image served as BIOS drive 0x00 (A:)\n"
	"  guest linux kernel=BZIMAGE initrd=INITRD cmdline=\"console=ttyS0\"\n"
	"entry \"FreeDOS from partition 2\"\n"
	"  guest bios  partition=2                      # chain-load the VBR of partition 2\n"
	"entry \"Test guest\"\n"
	"  guest flat  file=T.BIN load=0x10000 mode=real  # raw image, entered at load address\n"
	"  guest multiboot file=TEST.ELF cmdline=\"...\"    # a Multiboot (v1) kernel\n"
	"  after poweroff                               # what follows the last guest: poweroff | restart | menu\n";

/* Large: kept off the stack. */
static struct config cfg;
static struct config cfg2;
static struct cfg_error err;

static void parse_ok(const char *text)
{
	int r = cfg_parse(text, strlen(text), &cfg, &err);

	if (r != 0)
		fail_msg("expected success, got KEEL.CFG:%d: %s\n--- text:\n%s",
			 err.line, err.msg, text);
}

/* Parses text[0..len) and checks the error's line and that its message
 * contains want. */
static void expect_err_len(const char *text, size_t len, int line, const char *want)
{
	int r;

	memset(&err, 0x55, sizeof(err));
	r = cfg_parse(text, len, &cfg, &err);
	if (r != -1)
		fail_msg("expected error '%s' on line %d, got success\n--- text:\n%s",
			 want, line, text);
	if (err.line != line || !strstr(err.msg, want))
		fail_msg("expected KEEL.CFG:%d: ...%s...\n          got KEEL.CFG:%d: %s\n--- text:\n%s",
			 line, want, err.line, err.msg, text);
	assert_true(strlen(err.msg) < CFG_ERR_MAX);
}

static void expect_err(const char *text, int line, const char *want)
{
	expect_err_len(text, strlen(text), line, want);
}

#define ENTRY1 "entry A\n  guest flat file=T.BIN load=0x10000\n"

/* ---- successful parses ---- */

/* trace= (docs/config.md): every kind takes it; absent means 0, no trace. */
static void test_trace(void **state)
{
	const struct cfg_entry *e;

	(void)state;
	parse_ok("entry T\n"
		 " guest flat file=T.BIN load=0x10000 trace=16\n"
		 " guest bios image=FD.IMG trace=0x20\n"
		 " guest linux kernel=K trace=\"1000000\"\n"
		 " guest multiboot file=M.ELF trace=0\n"
		 " guest bios partition=2\n");
	e = &cfg.entries[0];
	assert_int_equal(e->guests[0].trace, 16);
	assert_int_equal(e->guests[1].trace, 0x20);
	assert_int_equal(e->guests[2].trace, CFG_TRACE_MAX);
	assert_int_equal(e->guests[3].trace, 0);
	assert_int_equal(e->guests[4].trace, 0);
	expect_err("entry A\n guest flat file=T load=0 trace=1000001\n", 2,
		   "trace '1000001' out of range (0..1000000)");
	expect_err("entry A\n guest flat file=T load=0 trace=-1\n", 2, "bad number '-1' for trace");
	expect_err("entry A\n guest flat file=T load=0 trace=\n", 2, "empty value for trace=");
	expect_err("entry A\n guest flat file=T load=0 trace=1 trace=2\n", 2,
		   "duplicate key 'trace'");
	expect_err("entry A\n guest flat file=T load=0 TRACE=2\n", 2,
		   "unknown key 'TRACE' for guest flat");
}

static void test_example_fields(void **state)
{
	const struct cfg_entry *e;
	const struct cfg_guest *g;

	(void)state;
	parse_ok(example);
	assert_int_equal(cfg.timeout, 5);
	assert_int_equal(cfg.default_entry, 1);
	assert_int_equal(cfg.nentries, 3);

	e = &cfg.entries[0];
	assert_string_equal(e->title, "FreeDOS, then Linux");
	assert_int_equal(e->line, 4);
	assert_int_equal(e->nguests, 2);
	assert_int_equal(e->after, CFG_AFTER_POWEROFF);
	g = &e->guests[0];
	assert_int_equal(g->kind, CFG_GUEST_BIOS);
	assert_int_equal(g->line, 5);
	assert_string_equal(g->image, "FDOS.IMG");
	assert_int_equal(g->drive, 0);
	assert_int_equal(g->partition, 0);
	assert_string_equal(g->kernel, "");
	assert_string_equal(g->file, "");
	assert_string_equal(g->cmdline, "");
	g = &e->guests[1];
	assert_int_equal(g->kind, CFG_GUEST_LINUX);
	assert_int_equal(g->line, 6);
	assert_string_equal(g->kernel, "BZIMAGE");
	assert_string_equal(g->initrd, "INITRD");
	assert_string_equal(g->cmdline, "console=ttyS0");
	assert_string_equal(g->image, "");

	e = &cfg.entries[1];
	assert_string_equal(e->title, "FreeDOS from partition 2");
	assert_int_equal(e->line, 7);
	assert_int_equal(e->nguests, 1);
	g = &e->guests[0];
	assert_int_equal(g->kind, CFG_GUEST_BIOS);
	assert_int_equal(g->partition, 2);
	assert_string_equal(g->image, "");
	assert_int_equal(g->drive, 0);

	e = &cfg.entries[2];
	assert_string_equal(e->title, "Test guest");
	assert_int_equal(e->line, 9);
	assert_int_equal(e->nguests, 2);
	assert_int_equal(e->after, CFG_AFTER_POWEROFF);
	g = &e->guests[0];
	assert_int_equal(g->kind, CFG_GUEST_FLAT);
	assert_int_equal(g->line, 10);
	assert_string_equal(g->file, "T.BIN");
	assert_true(g->load == 0x10000);
	assert_int_equal(g->mode, CFG_MODE_REAL);
	g = &e->guests[1];
	assert_int_equal(g->kind, CFG_GUEST_MULTIBOOT);
	assert_string_equal(g->file, "TEST.ELF");
	assert_string_equal(g->cmdline, "...");

	/* Unused entries are zeroed. */
	assert_int_equal(cfg.entries[3].nguests, 0);
	assert_string_equal(cfg.entries[3].title, "");
}

static void test_example_ranges(void **state)
{
	const char *e2 = strstr(example, "entry \"FreeDOS from");
	const char *e3 = strstr(example, "entry \"Test guest");

	(void)state;
	parse_ok(example);
	assert_int_equal(cfg.entries[0].src_start, strstr(example, "entry \"FreeDOS, then") - example);
	assert_int_equal(cfg.entries[0].src_end, e2 - example);
	assert_int_equal(cfg.entries[1].src_start, e2 - example);
	assert_int_equal(cfg.entries[1].src_end, e3 - example);
	assert_int_equal(cfg.entries[2].src_start, e3 - example);
	assert_int_equal(cfg.entries[2].src_end, strlen(example));
}

static void test_defaults(void **state)
{
	const struct cfg_guest *g;

	(void)state;
	parse_ok("entry One\nguest bios image=fd.img\nguest flat file=a load=0x7c00\n");
	assert_int_equal(cfg.timeout, CFG_DEFAULT_TIMEOUT);
	assert_int_equal(cfg.default_entry, 1);
	assert_int_equal(cfg.nentries, 1);
	assert_string_equal(cfg.entries[0].title, "One");
	assert_int_equal(cfg.entries[0].after, CFG_AFTER_POWEROFF);
	g = &cfg.entries[0].guests[0];
	assert_string_equal(g->image, "FD.IMG");  /* upper-cased */
	assert_int_equal(g->drive, 0x00);
	assert_int_equal(g->partition, 0);
	g = &cfg.entries[0].guests[1];
	assert_string_equal(g->file, "A");
	assert_int_equal(g->mode, CFG_MODE_REAL);
	assert_true(g->load == 0x7c00);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, "");
}

static void test_globals_and_values(void **state)
{
	const struct cfg_guest *g;

	(void)state;
	parse_ok("timeout 0\ndefault 0x2\n"
		 "entry a\n guest bios image=A.IMG drive=0x80\n after restart\n"
		 "entry b\n after menu\n guest flat file=\"X.BIN\" load=4294967295 mode=long\n"
		 "entry c\n guest flat file=Y load=0x100000 mode=protected\n"
		 " guest linux kernel=\"vmlinuz\"\n"
		 " guest bios partition=4\n");
	assert_int_equal(cfg.timeout, 0);
	assert_int_equal(cfg.default_entry, 2);
	assert_int_equal(cfg.nentries, 3);
	assert_int_equal(cfg.entries[0].guests[0].drive, 0x80);
	assert_int_equal(cfg.entries[0].after, CFG_AFTER_RESTART);
	assert_int_equal(cfg.entries[1].after, CFG_AFTER_MENU);
	g = &cfg.entries[1].guests[0];
	assert_string_equal(g->file, "X.BIN");
	assert_true(g->load == 0xffffffffull);
	assert_int_equal(g->mode, CFG_MODE_LONG);
	g = &cfg.entries[2].guests[0];
	assert_int_equal(g->mode, CFG_MODE_PROTECTED);
	assert_true(g->load == 0x100000);
	assert_string_equal(cfg.entries[2].guests[1].kernel, "VMLINUZ");
	assert_string_equal(cfg.entries[2].guests[1].initrd, "");
	assert_int_equal(cfg.entries[2].guests[2].partition, 4);
	assert_int_equal(cfg.entries[2].nguests, 3);

	/* cpus= on every kind; absent means all of the machine's CPUs (0). */
	parse_ok("entry a\n guest flat file=T load=0x7c00 cpus=1\n"
		 " guest linux kernel=K cpus=0x10\n guest bios partition=1 cpus=256\n"
		 " guest multiboot file=M cpus=\"2\"\n guest multiboot file=N\n");
	assert_int_equal(cfg.entries[0].guests[0].cpus, 1);
	assert_int_equal(cfg.entries[0].guests[1].cpus, 16);
	assert_int_equal(cfg.entries[0].guests[2].cpus, CFG_MAX_CPUS);
	assert_int_equal(cfg.entries[0].guests[3].cpus, 2);
	assert_int_equal(cfg.entries[0].guests[4].cpus, 0);

	parse_ok("timeout 3600\n" ENTRY1 "default 1\n");
	assert_int_equal(cfg.timeout, 3600);
	/* Decimal with leading zeros is still decimal. */
	parse_ok("timeout 010\n" ENTRY1);
	assert_int_equal(cfg.timeout, 10);
}

static void test_crlf(void **state)
{
	static const char text[] =
		"timeout 2\r\n\r\nentry \"Win\"\r\n\tguest bios image=FD.IMG\r\n"
		"\tafter menu\r\n# trailer\r\n";
	const struct cfg_entry *e;

	(void)state;
	parse_ok(text);
	assert_int_equal(cfg.timeout, 2);
	e = &cfg.entries[0];
	assert_string_equal(e->title, "Win");
	assert_int_equal(e->line, 3);
	assert_string_equal(e->guests[0].image, "FD.IMG");
	assert_int_equal(e->guests[0].line, 4);
	assert_int_equal(e->after, CFG_AFTER_MENU);
	assert_int_equal(e->src_start, strstr(text, "entry") - text);
	/* The range ends after the CR LF of the `after` line. */
	assert_int_equal(e->src_end, strstr(text, "# trailer") - text);
}

static void test_comments_and_quoting(void **state)
{
	const struct cfg_entry *e;

	(void)state;
	parse_ok("# a comment\n"
		 "   # an indented comment\n"
		 "\t\n"
		 "timeout 1# no space needed\n"
		 "entry \"A # not a comment\"   # but this is\n"
		 "\tguest  linux\tkernel=BZ cmdline=\"root=/dev/sda1 quiet # kept\"#c\n"
		 "entry Bare_Word\n"
		 "guest multiboot file='Q'.ELF cmdline=plain\n"
		 "guest flat file=\"a#b.bin\" load=\"0x8000\" mode=\"real\"\n"
		 "entry \"\xc3\xa9t\xc3\xa9\"\n"
		 "guest multiboot file=K cmdline=\"\tx\"\n");
	assert_int_equal(cfg.timeout, 1);
	e = &cfg.entries[0];
	assert_string_equal(e->title, "A # not a comment");
	assert_string_equal(e->guests[0].kernel, "BZ");
	assert_string_equal(e->guests[0].cmdline, "root=/dev/sda1 quiet # kept");
	e = &cfg.entries[1];
	assert_string_equal(e->title, "Bare_Word");
	assert_string_equal(e->guests[0].file, "'Q'.ELF");
	assert_string_equal(e->guests[0].cmdline, "plain");
	assert_string_equal(e->guests[1].file, "A#B.BIN");
	assert_true(e->guests[1].load == 0x8000);
	/* Bytes above 0x7f pass through titles unchanged. */
	assert_string_equal(cfg.entries[2].title, "\xc3\xa9t\xc3\xa9");
	assert_string_equal(cfg.entries[2].guests[0].cmdline, "\tx");
}

/* cmdline="" is an empty command line (GRUB's and SYSLINUX's empty
 * append), told apart from no cmdline= at all: Linux then gets none
 * rather than Keel's default console=ttyS0 (docs/config.md). */
static void test_empty_cmdline(void **state)
{
	const struct cfg_entry *e;

	(void)state;
	parse_ok("entry A\n"
		 " guest linux kernel=K cmdline=\"\"\n"
		 " guest linux kernel=K cmdline=\n"
		 " guest linux kernel=K\n"
		 " guest multiboot file=M cmdline=\"\"\n"
		 " guest linux kernel=K cmdline=\"quiet\"\n");
	e = &cfg.entries[0];
	assert_int_equal(e->nguests, 5);
	assert_true(e->guests[0].has_cmdline);
	assert_string_equal(e->guests[0].cmdline, "");
	assert_true(e->guests[1].has_cmdline);
	assert_string_equal(e->guests[1].cmdline, "");
	assert_false(e->guests[2].has_cmdline);
	assert_string_equal(e->guests[2].cmdline, "");
	assert_true(e->guests[3].has_cmdline);
	assert_string_equal(e->guests[3].cmdline, "");
	assert_true(e->guests[4].has_cmdline);
	assert_string_equal(e->guests[4].cmdline, "quiet");
	/* Still one cmdline= per line, and still only where the kind takes it. */
	expect_err("entry A\n guest linux kernel=K cmdline=\"\" cmdline=x\n", 2,
		   "duplicate key 'cmdline'");
	expect_err("entry A\n guest flat file=T load=0 cmdline=\"\"\n", 2,
		   "unknown key 'cmdline' for guest flat");
}

/* console= on a bios guest: screen (the default) or serial. */
static void test_bios_console(void **state)
{
	const struct cfg_entry *e;

	(void)state;
	parse_ok("entry A\n"
		 " guest bios image=FDOS.IMG console=serial\n"
		 " guest bios partition=2 console=\"screen\"\n"
		 " guest bios image=FDOS.IMG\n");
	e = &cfg.entries[0];
	assert_true(e->guests[0].serial_console);
	assert_false(e->guests[1].serial_console);
	assert_false(e->guests[2].serial_console);
	expect_err("entry A\n guest bios image=F console=com1\n", 2,
		   "unknown console 'com1' (screen or serial)");
	expect_err("entry A\n guest bios image=F console=Serial\n", 2,
		   "unknown console 'Serial' (screen or serial)");
	expect_err("entry A\n guest bios image=F console=\n", 2, "empty value for console=");
	expect_err("entry A\n guest bios image=F console=serial console=serial\n", 2,
		   "duplicate key 'console'");
	expect_err("entry A\n guest linux kernel=K console=serial\n", 2,
		   "unknown key 'console' for guest linux");
}

static void test_no_final_newline_and_bom(void **state)
{
	static const char text[] = "\xef\xbb\xbftimeout 7\nentry X\nguest bios partition=1";

	(void)state;
	parse_ok(text);
	assert_int_equal(cfg.timeout, 7);
	assert_int_equal(cfg.entries[0].line, 2);
	assert_int_equal(cfg.entries[0].src_end, strlen(text));
	/* An empty length parses nothing, whatever the bytes. */
	expect_err_len("entry X\nguest bios partition=1\n", 0, 0, "no entry");
}

static void test_names_and_limits(void **state)
{
	char text[4096];
	char *p;
	int i;

	(void)state;
	parse_ok("entry A\nguest flat file=abcdefgh.ijk load=0\n"
		 "guest flat load=16 file=!#$%&'()-@^_`{}~ load=x\n");
	assert_string_equal(cfg.entries[0].guests[0].file, "ABCDEFGH.IJK");
	assert_string_equal(cfg.entries[0].guests[1].file, "!");
	parse_ok("entry A\nguest flat file=\"!$%&'()-.@^_\" load=16\n"
		 "guest flat file=`{}~ load=16\n");
	assert_string_equal(cfg.entries[0].guests[0].file, "!$%&'()-.@^_");
	assert_string_equal(cfg.entries[0].guests[1].file, "`{}~");

	/* Exactly the limits. */
	p = text;
	for (i = 0; i < CFG_MAX_ENTRIES; i++)
		p += sprintf(p, "entry E%d\n guest bios partition=1\n", i);
	parse_ok(text);
	assert_int_equal(cfg.nentries, CFG_MAX_ENTRIES);
	assert_string_equal(cfg.entries[CFG_MAX_ENTRIES - 1].title, "E15");

	p = text + sprintf(text, "entry %.63s\n", "0123456789012345678901234567890123456789012345678901234567890123456789");
	for (i = 0; i < CFG_MAX_GUESTS; i++)
		p += sprintf(p, " guest multiboot file=F%d\n", i);
	p += sprintf(p, " guest linux kernel=K cmdline=\"");
	memset(p, 'c', CFG_CMDLINE_MAX - 1);
	strcpy(p + CFG_CMDLINE_MAX - 1, "\"\n");
	/* 8 guests, then a 9th on line 10: error; drop it and it passes. */
	expect_err(text, 10, "too many guests in entry (max 8)");
	strcpy(strstr(text, " guest linux"), " after menu\n");
	parse_ok(text);
	assert_int_equal(strlen(cfg.entries[0].title), CFG_TITLE_MAX - 1);
	assert_int_equal(cfg.entries[0].nguests, CFG_MAX_GUESTS);

	p = text + sprintf(text, "entry L\n guest linux kernel=K cmdline=\"");
	memset(p, 'c', CFG_CMDLINE_MAX - 1);
	strcpy(p + CFG_CMDLINE_MAX - 1, "\"\n");
	parse_ok(text);
	assert_int_equal(strlen(cfg.entries[0].guests[0].cmdline), CFG_CMDLINE_MAX - 1);
}

/* ---- src_start/src_end: what the hypervisor parses again ---- */

static void assert_same_entry(const struct cfg_entry *a, const struct cfg_entry *b)
{
	const struct cfg_guest *x, *y;
	int i;

	assert_string_equal(a->title, b->title);
	assert_int_equal(a->nguests, b->nguests);
	assert_int_equal(a->after, b->after);
	for (i = 0; i < a->nguests; i++) {
		x = &a->guests[i];
		y = &b->guests[i];
		assert_int_equal(x->kind, y->kind);
		assert_string_equal(x->image, y->image);
		assert_int_equal(x->drive, y->drive);
		assert_int_equal(x->partition, y->partition);
		assert_int_equal(x->watchdog, y->watchdog);
		assert_string_equal(x->kernel, y->kernel);
		assert_string_equal(x->initrd, y->initrd);
		assert_string_equal(x->file, y->file);
		assert_true(x->load == y->load);
		assert_int_equal(x->mode, y->mode);
		assert_string_equal(x->cmdline, y->cmdline);
		assert_int_equal(x->cpus, y->cpus);
		assert_int_equal(x->trace, y->trace);
		/* Line numbers shift by the entry's own line. */
		assert_int_equal(y->line, x->line - a->line + 1);
	}
}

static void round_trip(const char *text)
{
	const struct cfg_entry *e;
	struct cfg_error err2;
	int i;

	parse_ok(text);
	for (i = 0; i < cfg.nentries; i++) {
		e = &cfg.entries[i];
		assert_true(e->src_start < e->src_end);
		assert_true(e->src_end <= strlen(text));
		assert_memory_equal(text + e->src_start + strspn(text + e->src_start, " \t"),
				    "entry", 5);
		if (cfg_parse(text + e->src_start, e->src_end - e->src_start, &cfg2, &err2))
			fail_msg("entry %d re-parse: %d: %s", i + 1, err2.line, err2.msg);
		assert_int_equal(cfg2.nentries, 1);
		assert_int_equal(cfg2.entries[0].src_start, 0);
		assert_int_equal(cfg2.entries[0].src_end, e->src_end - e->src_start);
		assert_same_entry(e, &cfg2.entries[0]);
		if (i + 1 < cfg.nentries)
			assert_true(e->src_end <= cfg.entries[i + 1].src_start);
	}
}

static void test_round_trip(void **state)
{
	static const char between[] =
		"entry A\n"
		"  guest bios image=X.IMG   # trailing comment kept\n"
		"  # a comment inside the entry\n"
		"\n"
		"  guest flat file=T.BIN load=0x10000\n"
		"\n"
		"# about entry B: not part of A\n"
		"timeout 3\n"
		"  entry \"B\"\n"
		"guest linux kernel=K cmdline=\"a b\"\n"
		"\n";

	(void)state;
	round_trip(example);
	round_trip(between);
	/* A's bytes stop right after the flat guest's newline. */
	assert_int_equal(cfg.entries[0].src_end,
			 strstr(between, "\n\n# about") + 1 - between);
	/* B's range starts at the start of its line, indentation included. */
	assert_int_equal(cfg.entries[1].src_start, strstr(between, "  entry \"B\"") - between);
	assert_int_equal(cfg.entries[1].src_end, strlen(between) - 1);
	round_trip("entry x\r\nguest bios partition=3\r\nafter restart\r\n\r\n"
		   "entry y\r\nguest multiboot file=M\r\n");
	round_trip("entry only\nguest bios partition=2");
	round_trip("entry smp\nguest multiboot file=S.ELF cpus=2\nguest linux kernel=K cpus=1\n");
}

static void test_entry_files(void **state)
{
	const char *names[8];
	int n;

	(void)state;
	parse_ok(example);
	n = cfg_entry_files(&cfg.entries[0], names, 8);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "FDOS.IMG");
	assert_string_equal(names[1], "BZIMAGE");
	assert_string_equal(names[2], "INITRD");
	assert_int_equal(cfg_entry_files(&cfg.entries[1], names, 8), 0);
	n = cfg_entry_files(&cfg.entries[2], names, 8);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "T.BIN");
	assert_string_equal(names[1], "TEST.ELF");

	parse_ok("entry d\n"
		 "guest linux kernel=K initrd=I\n"
		 "guest linux kernel=k initrd=J\n"
		 "guest flat file=I load=0\n"
		 "guest bios image=D.IMG\n"
		 "guest multiboot file=K\n");
	n = cfg_entry_files(&cfg.entries[0], names, 8);
	assert_int_equal(n, 4);
	assert_string_equal(names[0], "K");
	assert_string_equal(names[1], "I");
	assert_string_equal(names[2], "J");
	assert_string_equal(names[3], "D.IMG");
	/* Only max are stored. */
	n = cfg_entry_files(&cfg.entries[0], names, 2);
	assert_int_equal(n, 2);
	assert_string_equal(names[1], "I");

	/* The last guest naming each file (Keel gives a file back after it). */
	assert_int_equal(cfg_file_last_guest(&cfg.entries[0], "K"), 4);
	assert_int_equal(cfg_file_last_guest(&cfg.entries[0], "I"), 2);
	assert_int_equal(cfg_file_last_guest(&cfg.entries[0], "J"), 1);
	assert_int_equal(cfg_file_last_guest(&cfg.entries[0], "D.IMG"), 3);
	assert_int_equal(cfg_file_last_guest(&cfg.entries[0], "NONE"), -1);
	assert_int_equal(cfg_file_last_guest(&cfg.entries[0], ""), -1);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(cfg_kind_name(CFG_GUEST_BIOS), "bios");
	assert_string_equal(cfg_kind_name(CFG_GUEST_LINUX), "linux");
	assert_string_equal(cfg_kind_name(CFG_GUEST_FLAT), "flat");
	assert_string_equal(cfg_kind_name(CFG_GUEST_MULTIBOOT), "multiboot");
	assert_string_equal(cfg_mode_name(CFG_MODE_REAL), "real");
	assert_string_equal(cfg_mode_name(CFG_MODE_PROTECTED), "protected");
	assert_string_equal(cfg_mode_name(CFG_MODE_LONG), "long");
	assert_string_equal(cfg_after_name(CFG_AFTER_POWEROFF), "poweroff");
	assert_string_equal(cfg_after_name(CFG_AFTER_RESTART), "restart");
	assert_string_equal(cfg_after_name(CFG_AFTER_MENU), "menu");
}

/* ---- errors: line and reason ---- */

static void test_err_keywords(void **state)
{
	(void)state;
	expect_err("timeout 5\nfoo bar\n" ENTRY1, 2, "unknown keyword 'foo'");
	expect_err(ENTRY1 "Entry B\n", 3, "unknown keyword 'Entry'");
	expect_err("\"timeout\" 5\n", 1, "unknown keyword '\"timeout\"'");
	expect_err("guest bios partition=1\n", 1, "guest line outside an entry");
	expect_err("after menu\n" ENTRY1, 1, "after line outside an entry");
	/* A global line ends the entry before it. */
	expect_err(ENTRY1 "timeout 1\n  guest bios partition=1\n", 4,
		   "guest line outside an entry");
	expect_err("", 0, "no entry");
	expect_err("# only a comment\n\ntimeout 1\n", 0, "no entry");
}

static void test_err_globals(void **state)
{
	(void)state;
	expect_err("timeout\n" ENTRY1, 1, "missing value for timeout");
	expect_err("timeout 3601\n" ENTRY1, 1, "timeout '3601' out of range (0..3600)");
	expect_err("timeout -1\n" ENTRY1, 1, "bad number '-1' for timeout");
	expect_err("timeout 5s\n" ENTRY1, 1, "bad number '5s' for timeout");
	expect_err("timeout 0x\n" ENTRY1, 1, "bad number '0x' for timeout");
	expect_err("timeout 1 2\n" ENTRY1, 1, "extra word '2' after timeout");
	expect_err("timeout 1\n\ntimeout 2\n" ENTRY1, 3, "duplicate timeout (first on line 1)");
	expect_err("default 1\ndefault 1\n" ENTRY1, 2, "duplicate default");
	expect_err("default x\n" ENTRY1, 1, "bad number 'x' for default");
	/* default is checked against the entries once all are read. */
	expect_err("default 2\n" ENTRY1 "# end\n", 1, "default '2' out of range (1..1)");
	expect_err("\ndefault 0\n" ENTRY1, 2, "default '0' out of range (1..1)");
	expect_err(ENTRY1 ENTRY1 "default 3\n", 5, "default '3' out of range (1..2)");
	expect_err("default 99999999999999999999\n" ENTRY1, 1,
		   "bad number '99999999999999999999' for default");
	expect_err("default 0x10000000000000000\n" ENTRY1, 1,
		   "bad number '0x10000000000000000' for default");
	expect_err("default 18446744073709551615\n" ENTRY1, 1, "out of range (1..1)");
}

static void test_err_entries(void **state)
{
	char text[2048];
	char *p = text;
	int i;

	(void)state;
	expect_err("entry\n", 1, "missing title for entry");
	expect_err("entry   # no title\n", 1, "missing title for entry");
	expect_err("entry \"\"\n guest bios partition=1\n", 1, "empty entry title");
	expect_err("entry two words\n", 1, "extra word 'words' after entry title");
	expect_err("entry a=\"b c\"\n", 1, "unexpected quote in 'a=\"b c\"'");
	expect_err("entry \"0123456789012345678901234567890123456789012345678901234567890123\"\n",
		   1, "too long (max 63 characters)");
	expect_err("timeout 1\nentry Empty\n# nothing\n", 2, "entry 'Empty' has no guest line");
	expect_err("entry A\nentry B\nguest bios partition=1\n", 1,
		   "entry 'A' has no guest line");
	expect_err("entry A\n after menu\n", 1, "entry 'A' has no guest line");
	for (i = 0; i <= CFG_MAX_ENTRIES; i++)
		p += sprintf(p, "entry E%d\n guest bios partition=1\n", i);
	expect_err(text, 2 * CFG_MAX_ENTRIES + 1, "too many entries (max 16)");
	expect_err(ENTRY1 " after menu\n after restart\n", 4, "duplicate after in entry (first on line 3)");
	expect_err(ENTRY1 " after halt\n", 3, "unknown after 'halt'");
	expect_err(ENTRY1 " after\n", 3, "missing value for after");
	expect_err(ENTRY1 " after menu now\n", 3, "extra word 'now' after after");
	expect_err(ENTRY1 " after Menu\n", 3, "unknown after 'Menu'");
}

static void test_err_guests(void **state)
{
	(void)state;
	expect_err("entry A\n guest\n", 2, "missing guest kind");
	expect_err("entry A\n guest vm file=X\n", 2, "unknown guest kind 'vm'");
	expect_err("entry A\n guest flat file=T.BIN load=0 colour=red\n", 2,
		   "unknown key 'colour' for guest flat");
	expect_err("entry A\n guest bios kernel=K\n", 2, "unknown key 'kernel' for guest bios");
	expect_err("entry A\n guest multiboot file=K load=0\n", 2,
		   "unknown key 'load' for guest multiboot");
	expect_err("entry A\n guest linux kernel=K FILE=X\n", 2, "unknown key 'FILE' for guest linux");
	expect_err("entry A\n guest flat file=T.BIN load=0 file=U\n", 2, "duplicate key 'file'");
	expect_err("entry A\n guest flat file T.BIN\n", 2, "missing '=' in 'file'");
	expect_err("entry A\n guest flat =T.BIN\n", 2, "missing key before '=' in '=T.BIN'");
	expect_err("entry A\n guest flat file= load=0\n", 2, "empty value for file=");
	expect_err("entry A\n guest linux kernel=K initrd=\"\" cmdline=\"\"\n", 2,
		   "empty value for initrd=");
	expect_err("entry A\n guest multiboot file=\"\" cmdline=\"\"\n", 2, "empty value for file=");
	expect_err("entry A\n guest flat load=0\n", 2, "missing file= for guest flat");
	expect_err("entry A\n guest flat file=T\n", 2, "missing load= for guest flat");
	expect_err("entry A\n guest linux initrd=I\n", 2, "missing kernel= for guest linux");
	expect_err("entry A\n guest multiboot cmdline=x\n", 2, "missing file= for guest multiboot");
	expect_err("entry A\n guest bios drive=0\n", 2, "missing image= or partition= for guest bios");
	expect_err("entry A\n guest bios image=A partition=1\n", 2,
		   "image= and partition= exclude each other");
	expect_err("entry A\n guest bios partition=1 drive=0x80\n", 2, "drive= needs image=");
	expect_err("entry A\n guest bios image=A drive=256\n", 2, "drive '256' out of range (0..255)");
	expect_err("entry A\n guest bios image=A drive=-1\n", 2, "bad number '-1' for drive");
	expect_err("entry A\n guest bios partition=5\n", 2, "partition '5' out of range (1..4)");
	expect_err("entry A\n guest bios partition=0\n", 2, "partition '0' out of range (1..4)");
	expect_err("entry A\n guest flat file=T load=0 cpus=0\n", 2, "cpus '0' out of range (1..256)");
	expect_err("entry A\n guest linux kernel=K cpus=257\n", 2, "cpus '257' out of range (1..256)");
	expect_err("entry A\n guest linux kernel=K cpus=all\n", 2, "bad number 'all' for cpus");
	expect_err("entry A\n guest linux kernel=K cpus=2 cpus=2\n", 2, "duplicate key 'cpus'");
	expect_err("entry A\n guest linux kernel=K cpus=\n", 2, "empty value for cpus=");
	expect_err("entry A\n guest flat file=T load=x12\n", 2, "bad number 'x12' for load");
	expect_err("entry A\n guest flat file=T load=0x10000g\n", 2, "bad number '0x10000g' for load");
	expect_err("entry A\n guest flat file=T load=0x100000000 mode=long\n", 2,
		   "load '0x100000000' is not below 4 GiB");
	expect_err("entry A\n guest flat file=T load=0x100000\n", 2,
		   "load 0x100000 is not below 1 MiB (needed for mode=real)");
	expect_err("entry A\n guest flat file=T mode=real load=0x7c01\n", 2,
		   "load 0x7c01 is not 16-byte aligned (needed for mode=real)");
	expect_err("entry A\n guest flat file=T load=0 mode=virtual\n", 2, "unknown mode 'virtual'");
	expect_err("entry A\n guest flat file=T load=0 mode=Real\n", 2, "unknown mode 'Real'");
}

static void test_err_names(void **state)
{
	(void)state;
	expect_err("entry A\n guest flat file=FOO.TOOLONG load=0\n", 2,
		   "'FOO.TOOLONG' is not an 8.3 file name");
	expect_err("entry A\n guest flat file=NINECHARS load=0\n", 2,
		   "'NINECHARS' is not an 8.3 file name");
	expect_err("entry A\n guest bios image=DIR/FD.IMG\n", 2,
		   "'DIR/FD.IMG' is not an 8.3 file name");
	expect_err("entry A\n guest bios image=DIR\\FD.IMG\n", 2, "is not an 8.3 file name");
	expect_err("entry A\n guest linux kernel=A.B.C\n", 2, "'A.B.C' is not an 8.3 file name");
	expect_err("entry A\n guest linux kernel=.BIN\n", 2, "'.BIN' is not an 8.3 file name");
	expect_err("entry A\n guest linux kernel=K initrd=A.\n", 2, "'A.' is not an 8.3 file name");
	expect_err("entry A\n guest multiboot file=\"A B\"\n", 2, "'A B' is not an 8.3 file name");
	expect_err("entry A\n guest multiboot file=A*B\n", 2, "'A*B' is not an 8.3 file name");
	expect_err("entry A\n guest multiboot file=A:B\n", 2, "'A:B' is not an 8.3 file name");
	expect_err("entry A\n guest multiboot file=\xc3\xa9\n", 2, "is not an 8.3 file name");
}

static void test_err_lexical(void **state)
{
	char text[600];
	char *p;

	(void)state;
	expect_err("entry \"Open\n guest bios partition=1\n", 1, "unterminated quote");
	expect_err("entry A\n guest linux kernel=K cmdline=\"console=ttyS0\n", 2,
		   "unterminated quote");
	expect_err("entry A\n guest linux kernel=K cmdline=\"a\"b\n", 2,
		   "text 'b' after closing quote");
	expect_err("entry A\n guest linux kernel=K cmd\"line\"=x\n", 2,
		   "unexpected quote in 'cmd\"line\"=x'");
	expect_err("entry A\n guest \"linux\"x kernel=K\n", 2, "text 'x' after closing quote");
	expect_err_len("entry A\n guest bios partition=1\0\n", 32, 2, "nul byte");
	expect_err_len("timeout 1\0\n", 11, 1, "control character 0x00");
	expect_err("timeout 1\n\x1b[0m\n", 2, "control character 0x1b");
	expect_err("entry A\x7f\n", 1, "control character 0x7f");
	expect_err("timeout 1\f\n", 1, "control character 0xc");
	expect_err("timeout 1\rentry A\n", 1, "carriage return without line feed");
	expect_err("timeout 1\r", 1, "carriage return without line feed");
	/* A long word is shortened in the message, which stays well-formed. */
	p = text + sprintf(text, "entry A\n guest flat file=T load=");
	memset(p, '9', 300);
	strcpy(p + 300, "\n");
	expect_err(text, 2, "bad number '9999");
	assert_non_null(strstr(err.msg, "...' for load"));
	/* A too long cmdline names its limit. */
	p = text + sprintf(text, "entry A\n guest multiboot file=M cmdline=\"");
	memset(p, 'x', CFG_CMDLINE_MAX);
	strcpy(p + CFG_CMDLINE_MAX, "\"\n");
	expect_err(text, 2, "cmdline too long (max 255 characters)");
}

/* The parser must not read past len even when the bytes after it are
 * valid text. */
static void test_len_respected(void **state)
{
	static const char text[] = "entry A\nguest bios partition=1\nguest bios partition=9\n";

	(void)state;
	assert_int_equal(cfg_parse(text, strstr(text, "guest bios partition=9") - text,
				   &cfg, &err), 0);
	assert_int_equal(cfg.entries[0].nguests, 1);
	/* A NULL error pointer is accepted. */
	assert_int_equal(cfg_parse("bad\n", 4, &cfg, NULL), -1);
}

/* Every one-byte change of the example either parses, and then each
 * entry's bytes parse again to the same entry, or fails with a message on
 * a real line. Run under ASan/UBSan this also checks every read is in
 * bounds. */
static void test_mutations(void **state)
{
	static const char subst[] = { ' ', '"', '#', '=', '\n', '\t', 'x', '0', '.', '\0', '\r' };
	char text[sizeof(example)];
	size_t i, j, lines = 0;
	int r;

	(void)state;
	for (i = 0; example[i]; i++)
		lines += example[i] == '\n';
	for (i = 0; i < sizeof(example) - 1; i++) {
		for (j = 0; j < sizeof(subst); j++) {
			memcpy(text, example, sizeof(example));
			text[i] = subst[j];
			r = cfg_parse(text, sizeof(example) - 1, &cfg, &err);
			if (r == 0) {
				round_trip(text);
				continue;
			}
			assert_int_equal(r, -1);
			assert_true(err.line >= 0 && (size_t)err.line <= lines + 1);
			assert_true(err.msg[0] != '\0');
			assert_true(strlen(err.msg) < CFG_ERR_MAX);
		}
	}
}

/* watchdog=SECONDS goes with every kind of guest, 1 to 3600; absent, the
 * guest has none (0). */
static void test_watchdog(void **state)
{
	(void)state;
	parse_ok("entry W\n"
		 " guest flat file=S.BIN load=0x10000 watchdog=5\n"
		 " guest linux kernel=BZ watchdog=\"3600\"\n"
		 " guest bios partition=1 watchdog=0x3c\n"
		 " guest multiboot file=M.ELF watchdog=1 cmdline=x\n"
		 " guest flat file=T.BIN load=0x10000\n");
	assert_int_equal(cfg.entries[0].guests[0].watchdog, 5);
	assert_int_equal(cfg.entries[0].guests[1].watchdog, 3600);
	assert_int_equal(cfg.entries[0].guests[2].watchdog, 60);
	assert_int_equal(cfg.entries[0].guests[3].watchdog, 1);
	assert_int_equal(cfg.entries[0].guests[4].watchdog, 0);
	expect_err("entry A\n guest flat file=S load=0x10000 watchdog=0\n", 2,
		   "watchdog '0' out of range (1..3600)");
	expect_err("entry A\n guest linux kernel=K watchdog=3601\n", 2,
		   "watchdog '3601' out of range (1..3600)");
	expect_err("entry A\n guest linux kernel=K watchdog=5s\n", 2,
		   "bad number '5s' for watchdog");
	expect_err("entry A\n guest linux kernel=K watchdog=\n", 2, "empty value for watchdog=");
	expect_err("entry A\n guest bios image=F watchdog=1 watchdog=2\n", 2,
		   "duplicate key 'watchdog'");
	round_trip("entry W\n guest flat file=S.BIN load=0x10000 watchdog=7\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_fields),
		cmocka_unit_test(test_example_ranges),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_globals_and_values),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_empty_cmdline),
		cmocka_unit_test(test_bios_console),
		cmocka_unit_test(test_comments_and_quoting),
		cmocka_unit_test(test_no_final_newline_and_bom),
		cmocka_unit_test(test_names_and_limits),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_entry_files),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_err_keywords),
		cmocka_unit_test(test_err_globals),
		cmocka_unit_test(test_err_entries),
		cmocka_unit_test(test_err_guests),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_err_lexical),
		cmocka_unit_test(test_len_respected),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_watchdog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
