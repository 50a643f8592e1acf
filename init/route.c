/*
 * init's routing: which server a child's session request goes to.
 * SPDX-License-Identifier: MIT
 *
 * Rules are evaluated in document order (shared/spec/init.md §3): a
 * <service> rule is decided by its first target, an <any-service> rule
 * falls through to its next target and then to the next rule.
 */
#include <stdio.h>
#include <string.h>

#include "init.h"

static bool
parent_provides(struct init *in, const char *service)
{
	struct xml_node root, pp, s;
	int ok;

	if (config_root(in, &root) < 0 ||
	    xml_node_first(&root, "parent-provides", &pp) < 0)
		return false;
	for (ok = xml_node_first(&pp, "service", &s) == 0; ok;
	    ok = xml_node_next(&s, "service", &s) == 0) {
		struct xml_attr a;

		if (xml_node_attr(&s, "name", &a) == 0 &&
		    xml_attr_is(&a, service))
			return true;
	}
	return false;
}

static bool
attr_match(const struct xml_node *n, const char *attr, const char *label,
    int how)
{
	struct xml_attr a;
	size_t ll = strlen(label);

	if (xml_node_attr(n, attr, &a) < 0)
		return true;	/* no such filter */
	if (how == 0)
		return a.value_len == ll && memcmp(a.value, label, ll) == 0;
	if (a.value_len > ll)
		return false;
	if (how < 0)
		return memcmp(a.value, label, a.value_len) == 0;
	return memcmp(a.value, label + ll - a.value_len, a.value_len) == 0;
}

/* Whether rule applies to (service, label). */
static bool
rule_matches(const struct xml_node *rule, const char *service,
    const char *label, const char *args)
{
	struct xml_node ifarg;
	int ok;

	if (xml_node_is(rule, "service")) {
		struct xml_attr a;

		if (xml_node_attr(rule, "name", &a) < 0 ||
		    !xml_attr_is(&a, service))
			return false;
		if (!attr_match(rule, "label", label, 0) ||
		    !attr_match(rule, "label_prefix", label, -1) ||
		    !attr_match(rule, "label_suffix", label, 1))
			return false;
	}
	for (ok = xml_node_first(rule, "if-arg", &ifarg) == 0; ok;
	    ok = xml_node_next(&ifarg, "if-arg", &ifarg) == 0) {
		char key[32], want[CAIRN_LABEL_MAX], have[CAIRN_LABEL_MAX];

		xml_attr_str(&ifarg, "key", key, sizeof(key), "");
		xml_attr_str(&ifarg, "value", want, sizeof(want), "");
		if (strcmp(key, "label") == 0)
			snprintf(have, sizeof(have), "%s", label);
		else if (cairn_arg_str(args, key, have, sizeof(have)) < 0)
			have[0] = '\0';
		if (strcmp(have, want) != 0)
			return false;
	}
	return true;
}

enum route_kind
route_request(struct init *in, struct child *client, const char *service,
    const char *label, const char *args, struct child **server, char *why,
    size_t why_cap)
{
	struct xml_node start, root, routes, rule, t;
	int ok, ok2;

	*server = NULL;
	if (child_start_node(client, &start) == 0 &&
	    xml_node_first(&start, "route", &routes) == 0) {
		/* A <route> replaces the default route entirely. */
	} else if (config_root(in, &root) < 0 ||
	    xml_node_first(&root, "default-route", &routes) < 0) {
		snprintf(why, why_cap, "no <route> and no <default-route>");
		return ROUTE_DENY;
	}
	for (ok = xml_node_first(&routes, NULL, &rule) == 0; ok;
	    ok = xml_node_next(&rule, NULL, &rule) == 0) {
		bool any = xml_node_is(&rule, "any-service");

		if (!rule_matches(&rule, service, label, args))
			continue;
		for (ok2 = xml_node_first(&rule, NULL, &t) == 0; ok2;
		    ok2 = xml_node_next(&t, NULL, &t) == 0) {
			if (xml_node_is(&t, "parent")) {
				if (parent_provides(in, service))
					return ROUTE_PARENT;
				snprintf(why, why_cap, "<parent/> does not "
				    "provide %s (not in <parent-provides>)",
				    service);
			} else if (xml_node_is(&t, "child")) {
				char name[INIT_NAME_MAX];
				struct child *ch;

				xml_attr_str(&t, "name", name, sizeof(name), "");
				ch = child_find(in, name);
				if (ch && child_provided(ch, service)) {
					*server = ch;
					return ROUTE_CHILD;
				}
				snprintf(why, why_cap, "child \"%s\" does not "
				    "provide %s", name, service);
			} else if (xml_node_is(&t, "any-child")) {
				struct child *ch, *found = NULL;
				unsigned n = 0;

				for (ch = in->children; ch; ch = ch->next)
					if (child_provided(ch, service)) {
						found = ch;
						n++;
					}
				if (n > 1) {
					snprintf(why, why_cap, "ambiguous "
					    "routes: several children provide "
					    "%s", service);
					return ROUTE_DENY;
				}
				if (n == 1) {
					*server = found;
					return ROUTE_CHILD;
				}
				snprintf(why, why_cap, "no child provides %s",
				    service);
			} else {
				continue;	/* <if-arg> */
			}
			if (!any)
				return ROUTE_DENY;
		}
	}
	if (why[0] == '\0')
		snprintf(why, why_cap, "no route to service %s", service);
	return ROUTE_DENY;
}
