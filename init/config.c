/*
 * init's config: parsing and validation into a set of children.
 * SPDX-License-Identifier: MIT
 *
 * The whole config is checked before anything changes: a config with an
 * error is refused as a whole (at start-up init then stops, on
 * reconfiguration it keeps running the old one).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"

struct ctx {
	struct init *in;
	const struct xml_node *root;
	struct xml_error *err;
	struct child *children;
	uint64_t total;
};

static const char *const config_attrs[] = { "verbose", "prio_levels", NULL };
static const char *const config_nodes[] = { "parent-provides",
    "default-route", "start", "affinity-space", "report", "resource", NULL };
static const char *const start_attrs[] = { "name", "priority", "caps",
    "ld", NULL };
static const char *const start_nodes[] = { "binary", "resource", "provides",
    "route", "config", "configfile", "affinity", "host", "sandbox", NULL };
static const char *const service_attrs[] = { "name", "label", "label_prefix",
    "label_suffix", "unscoped_label", NULL };
static const char *const target_nodes[] = { "parent", "child", "any-child",
    "if-arg", NULL };

static struct child *
child_find_in(struct child *list, const char *name)
{
	for (; list != NULL; list = list->next)
		if (strcmp(list->name, name) == 0)
			return list;
	return NULL;
}

static bool
in_list(const char *const *list, const char *s, size_t len)
{
	for (; *list; list++)
		if (strlen(*list) == len && strncmp(*list, s, len) == 0)
			return true;
	return false;
}

static int
fail(struct ctx *c, const struct xml_node *n, const char *p, const char *fmt,
    ...)
{
	char msg[sizeof(c->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xml_error_at(n, p, c->err, "%s", msg);
	return -EINVAL;
}

/* Every attribute of n must be in attrs. */
static int
check_attrs(struct ctx *c, const struct xml_node *n, const char *const *attrs)
{
	struct xml_attr a;
	unsigned i;

	for (i = 0; xml_node_attr_at(n, i, &a) == 0; i++)
		if (!in_list(attrs, a.name, a.name_len))
			return fail(c, n, a.name, "<%.*s>: unknown attribute "
			    "'%.*s'", (int)n->name_len, n->name,
			    (int)a.name_len, a.name);
	return 0;
}

static int
check_nodes(struct ctx *c, const struct xml_node *n, const char *const *types)
{
	struct xml_node s;
	int ok;

	for (ok = xml_node_first(n, NULL, &s) == 0; ok;
	    ok = xml_node_next(&s, NULL, &s) == 0)
		if (!in_list(types, s.name, s.name_len))
			return fail(c, &s, s.name, "<%.*s>: unknown node "
			    "<%.*s>", (int)n->name_len, n->name,
			    (int)s.name_len, s.name);
	return 0;
}

static int
name_attr(struct ctx *c, const struct xml_node *n, char *dst, size_t cap)
{
	int r = xml_attr_get_str(n, "name", dst, cap, c->err);

	if (r == -ENOENT)
		return fail(c, n, n->name, "<%.*s>: missing 'name' attribute",
		    (int)n->name_len, n->name);
	if (r == 0 && dst[0] == '\0')
		return fail(c, n, n->name, "<%.*s>: empty 'name' attribute",
		    (int)n->name_len, n->name);
	return r;
}

/* Check a <route> or <default-route>: rules and their targets. */
static int
check_routes(struct ctx *c, const struct xml_node *route)
{
	static const char *const rules[] = { "service", "any-service", NULL };
	static const char *const child_attrs[] = { "name", "label", NULL };
	static const char *const ifarg_attrs[] = { "key", "value", NULL };
	struct xml_node rule, t;
	int ok, ok2, r;

	if ((r = check_nodes(c, route, rules)) < 0)
		return r;
	for (ok = xml_node_first(route, NULL, &rule) == 0; ok;
	    ok = xml_node_next(&rule, NULL, &rule) == 0) {
		if (xml_node_is(&rule, "service")) {
			char svc[CAIRN_SERVICE_NAME_MAX];

			if ((r = check_attrs(c, &rule, service_attrs)) < 0 ||
			    (r = name_attr(c, &rule, svc, sizeof(svc))) < 0)
				return r;
		} else if ((r = check_attrs(c, &rule, (const char *const[]){
		    NULL })) < 0) {
			return r;
		}
		if ((r = check_nodes(c, &rule, target_nodes)) < 0)
			return r;
		for (ok2 = xml_node_first(&rule, NULL, &t) == 0; ok2;
		    ok2 = xml_node_next(&t, NULL, &t) == 0) {
			if (xml_node_is(&t, "child")) {
				char name[INIT_NAME_MAX];

				if ((r = check_attrs(c, &t, child_attrs)) < 0 ||
				    (r = name_attr(c, &t, name,
				    sizeof(name))) < 0)
					return r;
				if (child_find_in(c->children, name) == NULL)
					return fail(c, &t, t.name, "route to "
					    "child \"%s\", which is not in the "
					    "config", name);
			} else if (xml_node_is(&t, "if-arg")) {
				if ((r = check_attrs(c, &t, ifarg_attrs)) < 0)
					return r;
				if (!xml_node_has_attr(&t, "key"))
					return fail(c, &t, t.name, "<if-arg>: "
					    "missing 'key' attribute");
			} else if ((r = check_attrs(c, &t, (const char *const[]){
			    NULL })) < 0) {
				return r;
			}
		}
	}
	return 0;
}

static int
parse_provides(struct ctx *c, struct child *ch, const struct xml_node *prov)
{
	static const char *const svc_nodes[] = { "service", NULL };
	static const char *const svc_attrs[] = { "name", NULL };
	struct xml_node s;
	int ok, r;

	if ((r = check_nodes(c, prov, svc_nodes)) < 0)
		return r;
	for (ok = xml_node_first(prov, "service", &s) == 0; ok;
	    ok = xml_node_next(&s, "service", &s) == 0) {
		struct provided *p;

		if (ch->nprovides >= INIT_MAX_PROVIDES)
			return fail(c, &s, s.name, "<start name=\"%s\">: more "
			    "than %d services", ch->name, INIT_MAX_PROVIDES);
		p = &ch->provides[ch->nprovides];
		if ((r = check_attrs(c, &s, svc_attrs)) < 0 ||
		    (r = name_attr(c, &s, p->name, sizeof(p->name))) < 0)
			return r;
		p->root = -1;
		ch->nprovides++;
	}
	return 0;
}

static int
parse_host(struct ctx *c, struct child *ch, const struct xml_node *h)
{
	static const char *const host_attrs[] = { "name", "resource",
	    "writeable", NULL };
	struct host_grant *g;
	int r;

	if (ch->nhost >= INIT_MAX_HOST)
		return fail(c, h, h->name, "<start name=\"%s\">: more than %d "
		    "<host> grants", ch->name, INIT_MAX_HOST);
	g = &ch->host[ch->nhost];
	if ((r = check_attrs(c, h, host_attrs)) < 0 ||
	    (r = name_attr(c, h, g->name, sizeof(g->name))) < 0)
		return r;
	r = xml_attr_get_str(h, "resource", g->resource, sizeof(g->resource),
	    c->err);
	if (r == -ENOENT)
		memcpy(g->resource, g->name, sizeof(g->name));
	else if (r < 0)
		return r;
	g->writeable = false;
	r = xml_attr_get_bool(h, "writeable", &g->writeable, c->err);
	if (r < 0 && r != -ENOENT)
		return r;
	ch->nhost++;
	return 0;
}

static int
parse_resource(struct ctx *c, struct child *ch, const struct xml_node *res)
{
	static const char *const res_attrs[] = { "name", "quantum", "limit",
	    NULL };
	uint64_t v;
	int r;

	if ((r = check_attrs(c, res, res_attrs)) < 0)
		return r;
	if (!xml_node_has_attr(res, "name"))
		return fail(c, res, res->name, "<resource>: missing 'name' "
		    "attribute");
	{
		struct xml_attr a;

		if (xml_node_attr(res, "name", &a) == 0 &&
		    !xml_attr_is(&a, "RAM"))
			return 0;	/* other resources (CPU) are not ours */
	}
	r = xml_attr_get_size(res, "quantum", &v, c->err);
	if (r == 0)
		ch->quantum = v;
	else if (r != -ENOENT)
		return r;
	r = xml_attr_get_size(res, "limit", &v, c->err);
	if (r == 0)
		ch->limit = v;
	else if (r != -ENOENT)
		return r;
	return 0;
}

static int
parse_start(struct ctx *c, const struct xml_node *st, struct child **out)
{
	struct child *ch = calloc(1, sizeof(*ch));
	struct xml_node n;
	int ok, r;

	if (ch == NULL)
		return -ENOMEM;
	ch->init = c->in;
	ch->pd = -1;
	ch->yield_sig = -1;
	ch->config_ds.fd = -1;
	if ((r = check_attrs(c, st, start_attrs)) < 0 ||
	    (r = check_nodes(c, st, start_nodes)) < 0 ||
	    (r = name_attr(c, st, ch->name, sizeof(ch->name))) < 0)
		goto fail;
	if (strchr(ch->name, '/') || strstr(ch->name, "->")) {
		r = fail(c, st, st->name, "<start>: name \"%s\" may not "
		    "contain '/' or '->'", ch->name);
		goto fail;
	}
	if (child_find_in(c->children, ch->name)) {
		r = fail(c, st, st->name, "<start>: duplicate child name "
		    "\"%s\"", ch->name);
		goto fail;
	}
	snprintf(ch->binary, sizeof(ch->binary), "%s", ch->name);
	if (xml_node_first(st, "binary", &n) == 0 &&
	    ((r = check_attrs(c, &n, (const char *const[]){ "name", NULL })) <
	    0 || (r = name_attr(c, &n, ch->binary, sizeof(ch->binary))) < 0))
		goto fail;
	for (ok = xml_node_first(st, "resource", &n) == 0; ok;
	    ok = xml_node_next(&n, "resource", &n) == 0)
		if ((r = parse_resource(c, ch, &n)) < 0)
			goto fail;
	if (ch->quantum == 0) {
		r = fail(c, st, st->name, "<start name=\"%s\">: no RAM quantum"
		    " (add <resource name=\"RAM\" quantum=\"1M\"/>)",
		    ch->name);
		goto fail;
	}
	if (ch->limit < ch->quantum)
		ch->limit = ch->quantum;
	if (xml_node_first(st, "provides", &n) == 0 &&
	    (r = parse_provides(c, ch, &n)) < 0)
		goto fail;
	for (ok = xml_node_first(st, "host", &n) == 0; ok;
	    ok = xml_node_next(&n, "host", &n) == 0)
		if ((r = parse_host(c, ch, &n)) < 0)
			goto fail;
	if (xml_node_first(st, "configfile", &n) == 0 &&
	    ((r = check_attrs(c, &n, (const char *const[]){ "name", NULL })) <
	    0 || (r = name_attr(c, &n, ch->configfile,
	    sizeof(ch->configfile))) < 0))
		goto fail;
	if (xml_node_first(st, "sandbox", &n) == 0) {
		bool kvm = false;

		if ((r = check_attrs(c, &n, (const char *const[]){ "kvm",
		    NULL })) < 0)
			goto fail;
		r = xml_attr_get_bool(&n, "kvm", &kvm, c->err);
		if (r < 0 && r != -ENOENT)
			goto fail;
		if (kvm)
			ch->start_flags |= PD_START_FLAG_KVM;
	}
	ch->start_len = st->size;
	ch->start_xml = malloc(st->size);
	if (ch->start_xml == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	memcpy(ch->start_xml, st->addr, st->size);
	c->total += ch->quantum;
	*out = ch;
	return 0;
fail:
	free(ch);
	return r;
}

/* The <start> node of a child, parsed from its private copy. */
int
child_start_node(const struct child *ch, struct xml_node *start)
{
	return xml_parse(ch->start_xml, ch->start_len, 0, start, NULL);
}

int
config_root(const struct init *in, struct xml_node *root)
{
	return xml_parse(in->config_copy, in->config_len, 0, root, NULL);
}

/*
 * Parse and check a config. On success *out is the list of children (not
 * started) in config order. On failure err says why and
 * nothing is returned. `avail` is the RAM children may get in total.
 */
int
config_load(struct init *in, const char *text, size_t len, struct child **out,
    struct xml_error *err)
{
	struct ctx c = { .in = in, .err = err };
	struct child **tail = &c.children;
	struct xml_node root, n;
	int ok, r;

	memset(err, 0, sizeof(*err));

	if ((r = xml_parse(text, len, 0, &root, err)) < 0)
		return r;
	c.root = &root;
	if (!xml_node_is(&root, "config")) {
		r = fail(&c, &root, root.name, "root node must be <config>, "
		    "not <%.*s>", (int)root.name_len, root.name);
		goto fail;
	}
	if ((r = check_attrs(&c, &root, config_attrs)) < 0 ||
	    (r = check_nodes(&c, &root, config_nodes)) < 0)
		goto fail;
	for (ok = xml_node_first(&root, "start", &n) == 0; ok;
	    ok = xml_node_next(&n, "start", &n) == 0) {
		struct child *ch = NULL;

		if ((r = parse_start(&c, &n, &ch)) < 0)
			goto fail;
		*tail = ch;
		tail = &ch->next;
		if (c.total > in->avail) {
			r = fail(&c, &n, n.name, "<start name=\"%s\">: RAM "
			    "quantum %llu exceeds what is left (%llu of %llu "
			    "bytes); lower 'quantum'", ch->name,
			    (unsigned long long)ch->quantum,
			    (unsigned long long)(in->avail - (c.total -
			    ch->quantum)), (unsigned long long)in->avail);
			goto fail;
		}
	}
	if (xml_node_first(&root, "report", &n) == 0 &&
	    (r = check_attrs(&c, &n, (const char *const[]){ "init_ram",
	    "child_ram", "requested", "provided", "delay_ms", "buffer",
	    NULL })) < 0)
		goto fail;
	/* Routes may name children declared after them: check afterwards. */
	if (xml_node_first(&root, "default-route", &n) == 0 &&
	    (r = check_routes(&c, &n)) < 0)
		goto fail;
	for (ok = xml_node_first(&root, "start", &n) == 0; ok;
	    ok = xml_node_next(&n, "start", &n) == 0) {
		struct xml_node rt;

		if (xml_node_first(&n, "route", &rt) == 0 &&
		    (r = check_routes(&c, &rt)) < 0)
			goto fail;
	}
	*out = c.children;
	return 0;
fail:
	while (c.children) {
		struct child *ch = c.children;

		c.children = ch->next;
		free(ch->start_xml);
		free(ch);
	}

	return r;
}
