/*
 * test-xml_generator: the generator's sample of spec/xml.md, reports
 * generated straight into Report buffers and read back through report_rom.
 * SPDX-License-Identifier: MIT
 *
 * Steps: the 199-byte sample into 1000 bytes (logged line by line) and into
 * 20 (buffer exceeded); the sample as report "sample", read back through
 * report_rom; a nested report into a 64-byte buffer (refused, nothing
 * submitted, the ROM stays invalid); the nested report as "nested", which
 * a rom_logger shows. That submit comes last, so that nothing this
 * component logs races with the rom_logger's lines.
 */
#include <errno.h>
#include <string.h>

#include <cairn/env.h>
#include <cairn/reporter.h>

/* From os/run/xml_generator.run: `verbose` is added after the children. */
static const char sample[] =
    "<config xpos=\"27\" ypos=\"34\" verbose=\"true\">\n"
    "\t<box width=\"320\" height=\"240\"/>\n"
    "\t<label name=\"a test\">\n"
    "\t\t<sub_label/>\n"
    "\t\t<another_sub_label>\n"
    "\t\t\t<sub_sub_label/>\n"
    "\t\t</another_sub_label>\n"
    "\t</label>\n"
    "</config>";

struct main {
	struct cairn_env *env;
	struct reporter sample, small, nested;
};

static void
gen_sample(struct xml_gen *g, void *ctx)
{
	xml_gen_attr_i64(g, "xpos", 27);
	xml_gen_attr_u64(g, "ypos", 34);
	xml_gen_open(g, "box");
	xml_gen_attr(g, "width", "320");
	xml_gen_attr(g, "height", "240");
	xml_gen_close(g);
	xml_gen_open(g, "label");
	xml_gen_attr(g, "name", "a test");
	xml_gen_open(g, "sub_label");
	xml_gen_close(g);
	xml_gen_open(g, "another_sub_label");
	xml_gen_open(g, "sub_sub_label");
	xml_gen_close(g);
	xml_gen_close(g);
	xml_gen_close(g);
	xml_gen_attr(g, "verbose", "true");
}

/* Levels within levels, text that needs escaping, and a list. */
static void
gen_level(struct xml_gen *g, unsigned n, unsigned depth)
{
	xml_gen_open(g, "level");
	xml_gen_attr_u64(g, "n", n);
	if (n < depth)
		gen_level(g, n + 1, depth);
	else
		xml_gen_attr(g, "leaf", "yes");
	xml_gen_close(g);
}

static void
gen_nested(struct xml_gen *g, void *ctx)
{
	static const char text[] = "1 < 2 & \"3\" > 0";
	unsigned i;

	gen_level(g, 1, 3);
	xml_gen_open(g, "text");
	xml_gen_text(g, text, sizeof(text) - 1);
	xml_gen_close(g);
	xml_gen_open(g, "list");
	for (i = 0; i < 3; i++) {
		xml_gen_open(g, "item");
		xml_gen_attr_u64(g, "id", i);
		xml_gen_close(g);
	}
	xml_gen_close(g);
	xml_gen_attr_u64(g, "depth", 3);
}

static void
fail(struct main *mn, const char *what, int r)
{
	cairn_error(mn->env, "%s: %s", what, strerror(-r));
	cairn_exit(mn->env, 1);
}

static void
open_reporter(struct main *mn, struct reporter *rep, const char *name,
    size_t buffer_size)
{
	int r = reporter_init(rep, mn->env, name, buffer_size);

	if (r == 0)
		r = reporter_enable(rep);
	if (r < 0) {
		cairn_error(mn->env, "reporter '%s': %s (%s)", name,
		    strerror(-r), rep->detail);
		cairn_exit(mn->env, 1);
	}
}

static void
log_lines(struct main *mn, const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);

		cairn_log(mn->env, "%.*s", (int)l, p);
		p += l + (nl != NULL);
	}
}

static void
local_sample(struct main *mn)
{
	char buf[1000];
	size_t used = 0;
	int r;

	r = xml_generate(buf, sizeof(buf), "config", gen_sample, NULL, &used);
	if (r < 0)
		fail(mn, "sample into 1000 bytes", r);
	cairn_log(mn->env, "sample into 1000 bytes: %zu bytes", used);
	log_lines(mn, buf, used);
	if (used != sizeof(sample) - 1 || memcmp(buf, sample, used) != 0)
		fail(mn, "sample differs from spec/xml.md", -EINVAL);
	cairn_log(mn->env, "sample: identical to spec/xml.md");
	r = xml_generate(buf, 20, "config", gen_sample, NULL, &used);
	cairn_log(mn->env, "sample into 20 bytes: %s", r == -ENOSPC ?
	    "buffer exceeded" : "NOT exceeded");
}

static void
reported_sample(struct main *mn)
{
	struct cairn_rom rom;
	int r;

	open_reporter(mn, &mn->sample, "sample", 0);
	r = reporter_xml(&mn->sample, "config", gen_sample, NULL);
	if (r < 0)
		fail(mn, "report 'sample'", r);
	if ((r = cairn_rom_open(mn->env, "sample", &rom)) < 0)
		fail(mn, "ROM 'sample'", r);
	cairn_log(mn->env, "ROM 'sample': %llu bytes, %s",
	    (unsigned long long)rom.size, rom.valid &&
	    rom.size == sizeof(sample) - 1 &&
	    memcmp(rom.ds.addr, sample, rom.size) == 0 ?
	    "identical to spec/xml.md" : "DIFFERENT");
	cairn_rom_close(mn->env, &rom);
}

static void
too_small(struct main *mn)
{
	struct cairn_rom rom;
	int r;

	open_reporter(mn, &mn->small, "small", 64);
	r = reporter_xml(&mn->small, "nested", gen_nested, NULL);
	cairn_log(mn->env, "report 'small' (%zu-byte buffer): %s",
	    mn->small.buffer_size, r == -ENOSPC ?
	    "buffer exceeded, nothing submitted" : "NOT refused");
	if ((r = cairn_rom_open(mn->env, "small", &rom)) < 0)
		fail(mn, "ROM 'small'", r);
	cairn_log(mn->env, "ROM 'small': %s", rom.valid ? "HAS CONTENT" :
	    "invalid (no report was submitted)");
	cairn_rom_close(mn->env, &rom);
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	int r;

	mn.env = env;
	local_sample(&mn);
	reported_sample(&mn);
	too_small(&mn);
	open_reporter(&mn, &mn.nested, "nested", 0);
	cairn_log(env, "report 'nested': generated into the Report buffer");
	r = reporter_xml(&mn.nested, "nested", gen_nested, NULL);
	if (r < 0)
		fail(&mn, "report 'nested'", r);
	/* Stay: closing the reporters would empty the reports. */
}
