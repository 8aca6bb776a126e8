/*
 * ready.c - what `bd ready` offers, and in which order. The rules follow bd's
 * own ready view (DESIGN "Ready"):
 *  - status open (missing reads as open), not pinned, not ephemeral, not one of
 *    the workflow types bd keeps out of ready work;
 *  - defer_until not in the future, on the issue or on any parent-child ancestor;
 *  - not blocked. An issue is blocked directly by a blocks or conditional-blocks
 *    dependency on an issue that exists and is not closed, pinned or tombstone,
 *    and a child inherits blockage from its parent (parent-child), to any depth.
 *
 * Tombstones: bd's blocked-issues computation counted only blockers whose status
 * was open, in_progress, blocked or deferred (a soft-deleted blocker never
 * blocked), and bd since dropped tombstones by deleting the row. So a blocker
 * with status "tombstone" blocks nothing here either. Custom statuses block, as
 * in bd's current NOT IN ('closed', 'pinned').
 *
 * An issue that is itself closed, pinned or tombstone is never counted blocked
 * and so passes nothing to its children (bd's newer rule).
 *
 * Blockage and deferral spread from parents to children as a breadth-first walk
 * over a child list built once: O(issues + dependencies), and a parent-child
 * cycle ends the walk instead of looping. A cycle of blocks dependencies needs
 * no walk at all: each member is blocked directly by an open issue.
 */
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

#define HOUR_NS (3600LL * 1000000000LL)

static const char *const excluded_types[] = {
	"merge-request", "gate", "molecule", "message", "agent", "role", "rig", NULL,
};

bool
ready_type_excluded(const char *issue_type)
{
	for (const char *const *t = excluded_types; *t != NULL; t++)
		if (strcmp(issue_type, *t) == 0)
			return true;
	return false;
}

static bool
status_is(const struct issue *is, const char *s)
{
	return strcmp(is->status, s) == 0;
}

/* Does a blocker with this state hold up its dependents? */
static bool
blocks_others(const struct issue *blocker)
{
	return !blocker->pinned && !status_is(blocker, "closed") && !status_is(blocker, "tombstone");
}

/* Can an issue be blocked at all? Closed and pinned ones have nothing to wait for. */
static bool
can_be_blocked(const struct issue *is)
{
	return !is->pinned && !status_is(is, "closed") && !status_is(is, "tombstone");
}

/*
 * Children of each issue via parent-child, as one array (CSR form): the
 * children of i are child[first[i] .. first[i+1]).
 */
struct children {
	size_t *first;
	size_t *child;
};

static void
children_build(const struct issue *const *v, size_t n, const struct idmap *ids, struct children *c)
{
	size_t total = 0;

	c->first = xcalloc(n + 1, sizeof *c->first);
	for (size_t i = 0; i < n; i++)
		for (size_t d = 0; d < v[i]->ndeps; d++) {
			size_t parent;
			if (v[i]->deps[d].type == DEP_PARENT_CHILD &&
			    idmap_get(ids, v[i]->deps[d].depends_on, &parent) == 0) {
				c->first[parent + 1]++;
				total++;
			}
		}
	for (size_t i = 0; i < n; i++)
		c->first[i + 1] += c->first[i];
	c->child = xmalloc((total ? total : 1) * sizeof *c->child);
	size_t *fill = xmalloc((n ? n : 1) * sizeof *fill);
	memcpy(fill, c->first, n * sizeof *fill);
	for (size_t i = 0; i < n; i++)
		for (size_t d = 0; d < v[i]->ndeps; d++) {
			size_t parent;
			if (v[i]->deps[d].type == DEP_PARENT_CHILD &&
			    idmap_get(ids, v[i]->deps[d].depends_on, &parent) == 0)
				c->child[fill[parent]++] = i;
		}
	free(fill);
}

/*
 * Mark every descendant of a marked issue (through the children lists),
 * starting from the issues already marked; can_take (when set) says whether an
 * issue accepts a mark, and one that does not also hands none on.
 */
static void
spread(const struct issue *const *v, size_t n, const struct children *c, bool *mark,
    bool (*can_take)(const struct issue *))
{
	size_t *queue = xmalloc((n ? n : 1) * sizeof *queue), head = 0, tail = 0;

	for (size_t i = 0; i < n; i++)
		if (mark[i])
			queue[tail++] = i;
	while (head < tail) {
		size_t i = queue[head++];
		for (size_t k = c->first[i]; k < c->first[i + 1]; k++) {
			size_t ch = c->child[k];
			if (mark[ch] || (can_take != NULL && !can_take(v[ch])))
				continue;
			mark[ch] = true;
			queue[tail++] = ch;
		}
	}
	free(queue);
}

size_t
ready_compute(const struct issue *const *issues, size_t n, int64_t now, enum sort_kind sort,
    const struct issue ***out)
{
	struct idmap *ids = idmap_new(n);
	struct children c;
	bool *blocked = xcalloc(n ? n : 1, sizeof *blocked);
	bool *deferred = xcalloc(n ? n : 1, sizeof *deferred);
	bool *live = xcalloc(n ? n : 1, sizeof *live);
	const struct issue **v = xmalloc((n ? n : 1) * sizeof *v);
	size_t nready = 0;

	/* Of two issues with one id the later wins, as in the tracker. */
	for (size_t i = 0; i < n; i++)
		idmap_put(ids, issues[i]->id, i);
	for (size_t i = 0; i < n; i++) {
		size_t last;
		live[i] = idmap_get(ids, issues[i]->id, &last) == 0 && last == i;
	}
	children_build(issues, n, ids, &c);

	for (size_t i = 0; i < n; i++) {
		const struct issue *is = issues[i];
		if (!live[i])
			continue;
		if (is->defer_ns != 0 && is->defer_ns > now)
			deferred[i] = true;
		if (!can_be_blocked(is))
			continue;
		for (size_t d = 0; d < is->ndeps && !blocked[i]; d++) {
			size_t j;
			if (is->deps[d].type != DEP_BLOCKS && is->deps[d].type != DEP_CONDITIONAL_BLOCKS)
				continue;
			/* a blocker missing from the file blocks nothing (bd joins on existing rows) */
			if (idmap_get(ids, is->deps[d].depends_on, &j) == 0 && blocks_others(issues[j]))
				blocked[i] = true;
		}
	}
	spread(issues, n, &c, blocked, can_be_blocked);
	spread(issues, n, &c, deferred, NULL);

	for (size_t i = 0; i < n; i++) {
		const struct issue *is = issues[i];
		if (!live[i] || blocked[i] || deferred[i])
			continue;
		if (!status_is(is, "open") || is->pinned || is->ephemeral || ready_type_excluded(is->issue_type))
			continue;
		v[nready++] = is;
	}
	ready_sort(v, nready, now, sort);

	free(c.first);
	free(c.child);
	free(blocked);
	free(deferred);
	free(live);
	idmap_free(ids);
	*out = v;
	return nready;
}

struct sort_key {
	const struct issue *is;
	int group;      /* hybrid: 0 recent, 1 older */
	int priority;   /* compared only when it matters for the policy */
	int64_t created;
};

static int
key_cmp(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->is->id, y->is->id);
}

/*
 * Orders (bd's, with id as the last tie-break so the order is total):
 *  priority: priority, created_at, id;
 *  oldest:   created_at, id;
 *  hybrid:   issues created in the 48 hours before now first, by priority then
 *            created_at; then the rest oldest first.
 * An issue without a readable created_at sorts after every dated one of its
 * group (and counts as old for hybrid): with no age it cannot claim to be the
 * oldest, and it still runs.
 */
void
ready_sort(const struct issue **v, size_t n, int64_t now, enum sort_kind sort)
{
	struct sort_key *k;

	if (n < 2)
		return;
	k = xmalloc(n * sizeof *k);
	for (size_t i = 0; i < n; i++) {
		const struct issue *is = v[i];
		k[i].is = is;
		k[i].created = is->created_at != NULL && is->created_ns != 0 ? is->created_ns : INT64_MAX;
		k[i].group = 0;
		k[i].priority = 0;
		switch (sort) {
		case SORT_PRIORITY:
			k[i].priority = is->priority;
			break;
		case SORT_OLDEST:
			break;
		case SORT_HYBRID:
			if (k[i].created != INT64_MAX && k[i].created >= now - 48 * HOUR_NS)
				k[i].priority = is->priority;
			else
				k[i].group = 1;
			break;
		}
	}
	qsort(k, n, sizeof *k, key_cmp);
	for (size_t i = 0; i < n; i++)
		v[i] = k[i].is;
	free(k);
}
