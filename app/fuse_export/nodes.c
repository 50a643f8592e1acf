/*
 * fuse_export's node table: the kernel's node ids, their entries and
 * inode numbers, and the directory handles kept for them.
 * SPDX-License-Identifier: MIT
 *
 * Two chained hashes over the same nodes: by id (every request names
 * one) and by (parent, name) (lookups, renames, removals). A node lives
 * while the kernel holds references to it (nlookup) or a child names it
 * as parent; paths are built by walking parents, so a rename moves a
 * whole subtree by changing one node.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuse_export.h"

#define CAP_MIN		1024u

static uint32_t
hash_id(uint64_t id)
{
	id *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(id >> 32);
}

static uint32_t
hash_name(const struct node *parent, const char *name)
{
	uint64_t h = 1469598103934665603ull ^ parent->id;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

static void
name_link(struct nodes *t, struct node *n)
{
	uint32_t b = hash_name(n->parent, n->name) & (t->cap - 1);

	n->name_next = t->by_name[b];
	t->by_name[b] = n;
}

static void
name_unlink(struct nodes *t, struct node *n)
{
	struct node **pp;

	if (n->name == NULL)
		return;
	for (pp = &t->by_name[hash_name(n->parent, n->name) & (t->cap - 1)];
	    *pp; pp = &(*pp)->name_next)
		if (*pp == n) {
			*pp = n->name_next;
			break;
		}
	n->name_next = NULL;
}

static void
id_link(struct nodes *t, struct node *n)
{
	uint32_t b = hash_id(n->id) & (t->cap - 1);

	n->id_next = t->by_id[b];
	t->by_id[b] = n;
}

/* Double both hashes once they hold as many nodes as buckets. */
static void
grow(struct nodes *t)
{
	struct node **oid = t->by_id, **oname = t->by_name, *n;
	uint32_t ocap = t->cap, i;

	if (t->count < t->cap)
		return;
	t->by_id = calloc((size_t)ocap * 2, sizeof(*t->by_id));
	t->by_name = calloc((size_t)ocap * 2, sizeof(*t->by_name));
	if (t->by_id == NULL || t->by_name == NULL) {
		/* Keep the old ones: slower, still right. */
		free(t->by_id);
		free(t->by_name);
		t->by_id = oid;
		t->by_name = oname;
		return;
	}
	t->cap = ocap * 2;
	for (i = 0; i < ocap; i++)
		while ((n = oid[i]) != NULL) {
			oid[i] = n->id_next;
			id_link(t, n);
			if (n->name)
				name_link(t, n);
		}
	free(oid);
	free(oname);
}

int
nodes_init(struct nodes *t, uint64_t root_ino)
{
	memset(t, 0, sizeof(*t));
	t->cap = CAP_MIN;
	t->by_id = calloc(t->cap, sizeof(*t->by_id));
	t->by_name = calloc(t->cap, sizeof(*t->by_name));
	t->root = calloc(1, sizeof(*t->root));
	if (t->by_id == NULL || t->by_name == NULL || t->root == NULL)
		return -ENOMEM;
	t->root->id = FUSE_ROOT_ID;
	t->root->ino = root_ino;
	t->root->type = FS_MODE_DIRECTORY;
	t->root->nlookup = 1;		/* never forgotten */
	t->root->dh = FS_HANDLE_INVALID;
	t->root->fh = FS_HANDLE_INVALID;
	t->next_id = FUSE_ROOT_ID + 1;
	id_link(t, t->root);
	t->count = 1;
	return 0;
}

struct node *
node_by_id(struct nodes *t, uint64_t id)
{
	struct node *n;

	for (n = t->by_id[hash_id(id) & (t->cap - 1)]; n; n = n->id_next)
		if (n->id == id)
			return n;
	return NULL;
}

struct node *
node_by_name(struct nodes *t, const struct node *parent, const char *name)
{
	struct node *n;

	for (n = t->by_name[hash_name(parent, name) & (t->cap - 1)]; n;
	    n = n->name_next)
		if (n->parent == parent && strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

void
node_unname(struct nodes *t, struct node *n)
{
	if (n->name == NULL)
		return;
	name_unlink(t, n);
	free(n->name);
	n->name = NULL;
	/* The parent reference stays until the node goes (node_free). */
}

struct node *
node_enter(struct nodes *t, struct node *parent, const char *name,
    uint64_t ino, uint32_t type)
{
	struct node *n = node_by_name(t, parent, name);

	if (n != NULL && n->ino == ino && n->type == type) {
		n->nlookup++;
		return n;
	}
	if (n != NULL)
		node_unname(t, n);	/* another node took the name */
	/* The kernel forgets nodes only when it must: refuse, never die. */
	if (t->max != 0 && t->count >= t->max) {
		errno = ENOSPC;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL || (n->name = strdup(name)) == NULL) {
		free(n);
		return NULL;
	}
	n->id = t->next_id++;
	n->ino = ino;
	n->type = type;
	n->nlookup = 1;
	n->parent = parent;
	n->dh = FS_HANDLE_INVALID;
	n->fh = FS_HANDLE_INVALID;
	parent->children++;
	id_link(t, n);
	name_link(t, n);
	t->count++;
	grow(t);
	return n;
}

int
node_rename(struct nodes *t, struct node *n, struct node *parent,
    const char *name)
{
	char *copy = strdup(name);
	struct node *p;

	if (copy == NULL)
		return -ENOMEM;
	name_unlink(t, n);
	free(n->name);
	n->name = copy;
	if (n->parent != parent) {
		parent->children++;
		p = n->parent;
		n->parent = parent;
		/* p keeps its own references; it is checked when forgotten. */
		p->children--;
	}
	name_link(t, n);
	return 0;
}

static void
node_free(struct nodes *t, struct node *n,
    void (*close_dh)(void *ctx, int32_t dh), void *ctx)
{
	struct node **pp, *parent;

	while (n != NULL && n != t->root && n->nlookup == 0 &&
	    n->children == 0 && n->opens == 0) {
		name_unlink(t, n);
		for (pp = &t->by_id[hash_id(n->id) & (t->cap - 1)]; *pp;
		    pp = &(*pp)->id_next)
			if (*pp == n) {
				*pp = n->id_next;
				break;
			}
		if (n->dh >= 0) {
			close_dh(ctx, n->dh);
			node_dh_drop(t, n);
		}
		parent = n->parent;
		nameset_free(t, n->names);
		free(n->name);
		free(n);
		t->count--;
		if (parent == NULL)
			break;
		parent->children--;
		n = parent;
	}
}

void
node_forget(struct nodes *t, struct node *n, uint64_t nlookup,
    void (*close_dh)(void *ctx, int32_t dh), void *ctx)
{
	n->nlookup = nlookup < n->nlookup ? n->nlookup - nlookup : 0;
	node_free(t, n, close_dh, ctx);
}

int
node_path(const struct node *n, char *buf, size_t cap)
{
	const struct node *m;
	size_t len = 0, l;

	/* Measure, then fill from the end. */
	for (m = n; m->parent != NULL; m = m->parent) {
		if (m->name == NULL)
			return -ESTALE;
		len += 1 + strlen(m->name);
	}
	if (m->name != NULL || (m->id != FUSE_ROOT_ID))
		return -ESTALE;		/* cut off from the root */
	if (len == 0)
		len = 1;
	if (len >= cap)
		return -ENAMETOOLONG;
	buf[len] = '\0';
	buf[0] = '/';
	for (m = n; m->parent != NULL; m = m->parent) {
		l = strlen(m->name);
		len -= l;
		memcpy(buf + len, m->name, l);
		buf[--len] = '/';
	}
	return 0;
}

void
node_dh_drop(struct nodes *t, struct node *n)
{
	if (n->lru_prev)
		n->lru_prev->lru_next = n->lru_next;
	else if (t->lru_head == n)
		t->lru_head = n->lru_next;
	else
		return;		/* not in the list */
	if (n->lru_next)
		n->lru_next->lru_prev = n->lru_prev;
	else
		t->lru_tail = n->lru_prev;
	n->lru_prev = n->lru_next = NULL;
	n->dh = FS_HANDLE_INVALID;
	t->ndh--;
}

void
node_dh_touch(struct nodes *t, struct node *n)
{
	if (t->lru_head == n)
		return;
	if (n->lru_prev || t->lru_head == n) {
		/* Unlink without forgetting the handle. */
		n->lru_prev->lru_next = n->lru_next;
		if (n->lru_next)
			n->lru_next->lru_prev = n->lru_prev;
		else
			t->lru_tail = n->lru_prev;
	} else {
		t->ndh++;
	}
	n->lru_prev = NULL;
	n->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = n;
	t->lru_head = n;
	if (t->lru_tail == NULL)
		t->lru_tail = n;
}

struct node *
node_dh_oldest(struct nodes *t)
{
	return t->lru_tail;
}

void
nodes_each(struct nodes *t, void (*fn)(void *ctx, struct node *n), void *ctx)
{
	struct node *n;
	uint32_t i;

	for (i = 0; i < t->cap; i++)
		for (n = t->by_id[i]; n; n = n->id_next)
			fn(ctx, n);
}

/* --- name sets --- */

struct name {
	struct name *next;
	char s[];
};

struct nameset {
	struct name **b;
	uint32_t cap, count;
	size_t bytes;			/* charged to nodes.names_bytes */
};

#define NAMESET_CAP0	64

static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* Charge bytes to the budget: false when it is spent. */
static bool
charge(struct nodes *t, struct nameset *s, size_t bytes)
{
	if (t->names_bytes + bytes > NAMES_BYTES_MAX)
		return false;
	t->names_bytes += bytes;
	s->bytes += bytes;
	return true;
}

struct nameset *
nameset_new(struct nodes *t)
{
	struct nameset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cap = NAMESET_CAP0;
	if (!charge(t, s, sizeof(*s) + s->cap * sizeof(*s->b)) ||
	    (s->b = calloc(s->cap, sizeof(*s->b))) == NULL) {
		t->names_bytes -= s->bytes;
		free(s);
		return NULL;
	}
	return s;
}

void
nameset_free(struct nodes *t, struct nameset *s)
{
	struct name *m;
	uint32_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->cap; i++)
		while ((m = s->b[i]) != NULL) {
			s->b[i] = m->next;
			free(m);
		}
	t->names_bytes -= s->bytes;
	free(s->b);
	free(s);
}

bool
nameset_has(const struct nameset *s, const char *name)
{
	const struct name *m;

	for (m = s->b[hash_str(name) & (s->cap - 1)]; m; m = m->next)
		if (strcmp(m->s, name) == 0)
			return true;
	return false;
}

int
nameset_add(struct nodes *t, struct nameset *s, const char *name)
{
	size_t len = strlen(name);
	struct name *m, **nb;
	uint32_t i, ncap, h;

	if (nameset_has(s, name))
		return 0;
	if (s->count >= s->cap) {
		ncap = s->cap * 2;
		if (!charge(t, s, (ncap - s->cap) * sizeof(*nb)))
			return -ENOSPC;
		if ((nb = calloc(ncap, sizeof(*nb))) == NULL)
			return -ENOMEM;
		for (i = 0; i < s->cap; i++)
			while ((m = s->b[i]) != NULL) {
				s->b[i] = m->next;
				h = hash_str(m->s) & (ncap - 1);
				m->next = nb[h];
				nb[h] = m;
			}
		free(s->b);
		s->b = nb;
		s->cap = ncap;
	}
	if (!charge(t, s, sizeof(*m) + len + 1))
		return -ENOSPC;
	if ((m = malloc(sizeof(*m) + len + 1)) == NULL)
		return -ENOMEM;
	memcpy(m->s, name, len + 1);
	h = hash_str(name) & (s->cap - 1);
	m->next = s->b[h];
	s->b[h] = m;
	s->count++;
	return 0;
}

void
nameset_del(struct nodes *t, struct nameset *s, const char *name)
{
	struct name **pp, *m;
	size_t bytes;

	for (pp = &s->b[hash_str(name) & (s->cap - 1)]; (m = *pp) != NULL;
	    pp = &m->next)
		if (strcmp(m->s, name) == 0) {
			*pp = m->next;
			bytes = sizeof(*m) + strlen(m->s) + 1;
			t->names_bytes -= bytes;
			s->bytes -= bytes;
			free(m);
			s->count--;
			return;
		}
}
