/*
 * Session arguments, label composition and server-side policy selection.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/env.h>

/*
 * Find key in "k1=v1, k2=\"v 2\"" and return the value's span (quotes
 * stripped). Keys are matched as whole words.
 */
static int
find(const char *args, const char *key, const char **val, size_t *len,
    const char **item, size_t *item_len)
{
	size_t klen = strlen(key);
	const char *p = args;

	while (*p) {
		const char *start, *v, *e;

		while (*p == ' ' || *p == ',')
			p++;
		start = p;
		while (*p && *p != '=' && *p != ',')
			p++;
		if (*p != '=')
			continue;
		v = p + 1;
		if (*v == '"') {
			e = strchr(v + 1, '"');
			if (e == NULL)
				return -EINVAL;
			p = e + 1;
			v++;
		} else {
			e = v;
			while (*e && *e != ',')
				e++;
			p = e;
		}
		if ((size_t)(strchr(start, '=') - start) == klen &&
		    strncmp(start, key, klen) == 0) {
			*val = v;
			*len = (size_t)(e - v);
			if (item) {
				*item = start;
				*item_len = (size_t)(p - start);
			}
			return 0;
		}
	}
	return -ENOENT;
}

int
cairn_arg_str(const char *args, const char *key, char *dst, size_t cap)
{
	const char *v;
	size_t len;
	int r = find(args, key, &v, &len, NULL, NULL);

	if (r < 0)
		return r;
	if (len + 1 > cap)
		return -ENOSPC;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

uint64_t
cairn_arg_u64(const char *args, const char *key, uint64_t def)
{
	char buf[32], *end;
	unsigned long long v;

	if (cairn_arg_str(args, key, buf, sizeof(buf)) < 0 || buf[0] == '\0')
		return def;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno)
		return def;
	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	default: break;
	}
	return *end ? def : (uint64_t)v;
}

int
cairn_label_compose(const char *prefix, const char *label, char *dst,
    size_t cap)
{
	int n;

	if (label == NULL || label[0] == '\0')
		n = snprintf(dst, cap, "%s", prefix);
	else if (prefix == NULL || prefix[0] == '\0')
		n = snprintf(dst, cap, "%s", label);
	else
		n = snprintf(dst, cap, "%s -> %s", prefix, label);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

int
cairn_arg_set(char *args, size_t cap, const char *key, const char *value,
    bool quote)
{
	char out[1024];
	const char *v, *item;
	size_t len, ilen;
	int n;

	if (find(args, key, &v, &len, &item, &ilen) == 0) {
		/* Drop the old item, then append the new one. */
		n = snprintf(out, sizeof(out), "%.*s%s", (int)(item - args),
		    args, item + ilen);
	} else {
		n = snprintf(out, sizeof(out), "%s", args);
	}
	if (n < 0 || (size_t)n >= sizeof(out))
		return -ENOSPC;
	/* Trim separators left at the end. */
	while (n > 0 && (out[n - 1] == ',' || out[n - 1] == ' '))
		out[--n] = '\0';
	n = snprintf(args, cap, "%s%s%s=%s%s%s", out, n ? ", " : "", key,
	    quote ? "\"" : "", value, quote ? "\"" : "");
	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

struct match {
	const char *label;
	size_t best;		/* score of the best match so far, 0 = none */
	struct xml_node node;
};

static bool
attr_prefix(const struct xml_node *n, const char *name, const char *label,
    size_t *len)
{
	struct xml_attr a;

	if (xml_node_attr(n, name, &a) < 0)
		return false;
	*len = a.value_len;
	return strlen(label) >= a.value_len &&
	    strncmp(label, a.value, a.value_len) == 0;
}

static int
consider(const struct xml_node *p, void *ctx)
{
	struct match *m = ctx;
	size_t ll = strlen(m->label), len = 0, score = 0;
	struct xml_attr a;

	/*
	 * label and label_prefix match a prefix (14.02 meaning: label="" matches
	 * everyone); label_suffix a suffix. Longer matches win, later nodes win
	 * ties; the +1 keeps an empty prefix distinct from no match.
	 */
	if (attr_prefix(p, "label", m->label, &len) ||
	    attr_prefix(p, "label_prefix", m->label, &len))
		score = len + 1;
	else if (xml_node_attr(p, "label_suffix", &a) == 0 &&
	    ll >= a.value_len &&
	    strncmp(m->label + ll - a.value_len, a.value, a.value_len) == 0)
		score = a.value_len + 1;
	if (score && score >= m->best) {
		m->best = score;
		m->node = *p;
	}
	return 0;
}

int
cairn_policy_match(const struct xml_node *config, const char *label,
    struct xml_node *policy)
{
	struct match m = { .label = label };

	xml_for_each_sub_node(config, "policy", consider, &m);
	if (m.best == 0)
		return -ENOENT;
	*policy = m.node;
	return 0;
}
