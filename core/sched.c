/*
 * sched.c - placing ready tasks on free slots.
 *
 * A pass walks the ready list in dispatch order (the store's sort) and gives each
 * task the first host in its handler's list that is healthy and has a free slot.
 * Walking in order is what makes priority strict within a host: a slot freed on a
 * host goes to the best-ranked task that can use it. A task whose hosts are all
 * full is skipped, not waited on, so one busy host never holds back tasks bound
 * for others. Retries whose backoff is over join the walk at their priority.
 *
 * Within one priority level the fill is longest-expected-first once durations
 * have been learned (per handler type, from finished requests): starting the long
 * tasks early keeps the tail short when tasks can spill over between hosts. A type
 * not seen yet counts as longest, so it is tried early and learned; with nothing
 * learned at all the order stays the store's (the seed's FIFO). Priority across
 * levels is never reordered.
 *
 * Passes run when something changes (store, freed slot, recovered host, due
 * retry), coalesced to one per loop turn through an active event - never on a tick.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ygg.h"

void
sched_kick(struct daemon *d)
{
	if (d->sched_ev != NULL)
		event_active(d->sched_ev, EV_TIMEOUT, 0);
}

struct host *
sched_pick_host(struct daemon *d, const struct handler_conf *h, unsigned skip_mask)
{
	for (size_t i = 0; i < h->nhosts; i++) {
		if (i < 32 && (skip_mask & (1u << i)) != 0)
			continue;
		struct host *host = host_find(d, h->hosts[i]);
		if (host != NULL && host_has_free_slot(host))
			return host;
	}
	return NULL;
}

static size_t
free_slots(struct daemon *d)
{
	struct host *h;
	size_t n = 0;

	TAILQ_FOREACH(h, &d->hosts, entry) {
		if (h->healthy && !h->removed && h->in_flight < h->conf->slots)
			n += (size_t)(h->conf->slots - h->in_flight);
	}
	return n;
}

/* Rank of an issue for merging retries into the ready walk: priority, then age. */
static int
rank_cmp(const struct issue *a, const struct issue *b)
{
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if (a->created_ns != b->created_ns)
		return a->created_ns < b->created_ns ? -1 : 1;
	return strcmp(a->id, b->id);
}

static int
retry_cmp(const void *pa, const void *pb)
{
	const struct task *a = *(const struct task *const *)pa;
	const struct task *b = *(const struct task *const *)pb;

	return rank_cmp(a->issue, b->issue);
}

/* Give a due retry a slot if one of its hosts has one. */
static void
place_retry(struct daemon *d, struct task *t, size_t *nfree)
{
	const struct handler_conf *h = config_handler(d->cfg, t->type);
	struct host *host;

	if (h == NULL) {
		task_abort_reopen(t, "its handler is gone from the configuration");
		return;
	}
	host = sched_pick_host(d, h, t->tried_model_missing);
	if (host == NULL)
		return;
	host_acquire(host);
	(*nfree)--;
	task_resume(t, host);
}

#define FILL_WINDOW 256 /* issues reordered at the head of a priority level */

void
sched_learn(struct daemon *d, const char *type, double seconds)
{
	struct learned_duration *l = NULL;

	for (size_t i = 0; i < d->nlearned; i++) {
		if (strcmp(d->learned[i].type, type) == 0)
			l = &d->learned[i];
	}
	if (l == NULL) {
		d->learned = xrealloc(d->learned, (d->nlearned + 1) * sizeof *d->learned);
		l = &d->learned[d->nlearned++];
		l->type = xstrdup(type);
		l->avg = seconds;
		l->n = 0;
	}
	l->n++;
	/* a plain mean at first, then a moving average that follows model changes */
	double w = l->n < 8 ? 1.0 / (double)l->n : 0.125;
	l->avg += (seconds - l->avg) * w;
}

double
sched_expected(const struct daemon *d, const char *type)
{
	for (size_t i = 0; i < d->nlearned; i++) {
		if (strcmp(d->learned[i].type, type) == 0)
			return d->learned[i].avg;
	}
	return -1;
}

struct fill_item {
	const struct issue *is;
	double expect; /* seconds; larger first */
	size_t pos;    /* store order, for ties */
};

static int
fill_cmp(const void *pa, const void *pb)
{
	const struct fill_item *a = pa, *b = pb;

	if (a->expect != b->expect)
		return a->expect > b->expect ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Reorder order[i..] up to the end of its priority level (at most FILL_WINDOW). */
static size_t
fill_window(struct daemon *d, const struct issue **order, size_t i, size_t n)
{
	struct fill_item items[FILL_WINDOW];
	size_t j = i;

	while (j < n && j - i < FILL_WINDOW && order[j]->priority == order[i]->priority)
		j++;
	for (size_t k = i; k < j; k++) {
		const struct handler_conf *h = route_issue(d->cfg, order[k]);
		double e = h != NULL ? sched_expected(d, h->type) : -2;
		items[k - i].is = order[k];
		items[k - i].expect = e == -1 ? 1e300 : e; /* unknown: try it early, learn it */
		items[k - i].pos = k;
	}
	qsort(items, j - i, sizeof items[0], fill_cmp);
	for (size_t k = i; k < j; k++)
		order[k] = items[k - i].is;
	return j;
}

/* Log once per issue that no handler or plugin takes it. */
static void
note_unroutable(struct daemon *d, const struct issue *is, const char *why)
{
	(void)d;
	log_debug("task=%s ready but not dispatched: %s", is->id, why);
}

void
sched_run(struct daemon *d)
{
	const struct issue **ready = NULL;
	struct task **retries = NULL;
	size_t nready, nretries = 0, ri = 0, queued = 0, dispatchable = 0;
	size_t nfree;
	struct task *t;

	/* after the loop was told to exit no claim may start: the store would answer it into freed tasks */
	if (d->stopping || d->exit_requested || d->store == NULL) {
		daemon_check_idle(d);
		return;
	}
	/*
	 * No free slot anywhere: nothing can start, so skip the ready list (on a
	 * busy daemon that is most passes, and the list is O(issues) to refresh
	 * after every write). The counts from the last full pass stand.
	 */
	if (free_slots(d) == 0) {
		daemon_check_idle(d);
		return;
	}
	nready = store_ready(d->store, now_wall_ns(), &ready);
	TAILQ_FOREACH(t, &d->tasks, entry) {
		if (t->state == TASK_RETRY_DUE && !t->finished)
			nretries++;
	}
	if (nretries > 0) {
		retries = xcalloc(nretries, sizeof *retries);
		nretries = 0;
		TAILQ_FOREACH(t, &d->tasks, entry) {
			if (t->state == TASK_RETRY_DUE && !t->finished)
				retries[nretries++] = t;
		}
		qsort(retries, nretries, sizeof *retries, retry_cmp);
	}
	nfree = free_slots(d);
	const struct issue **order = ready;
	size_t sorted_until = 0;
	if (d->nlearned > 0 && d->cfg->sort == SORT_PRIORITY && nfree > 0 && nready > 1) {
		order = xmalloc(nready * sizeof *order);
		memcpy(order, ready, nready * sizeof *order);
	}
	for (size_t i = 0; i < nready; i++) {
		if (order != ready && i >= sorted_until && nfree > 0)
			sorted_until = fill_window(d, order, i, nready);
		const struct issue *is = order[i];
		const struct handler_conf *h;
		struct plugin *p;
		struct host *host;

		/* retries ranked at or above this issue go first */
		while (ri < nretries && nfree > 0 && rank_cmp(retries[ri]->issue, is) <= 0)
			place_retry(d, retries[ri++], &nfree);
		if (nfree == 0) {
			/* Every slot is taken: the rest waits. Count it as queued. */
			queued += nready - i;
			dispatchable += nready - i;
			break;
		}
		if (task_find(d, is->id) != NULL)
			continue; /* ours already (the claim's write is on its way) */
		if (d->nheld > 0 && daemon_is_held(d, is->id))
			continue; /* the operator cancelled it */
		if (is->assignee != NULL && *is->assignee != '\0' && strcmp(is->assignee, d->cfg->assignee) != 0) {
			/*
			 * Someone took it (an open issue with another assignee): a claim could
			 * only conflict, and claiming again on every pass would spin.
			 */
			note_unroutable(d, is, "assigned to someone else");
			continue;
		}
		h = route_issue(d->cfg, is);
		if (h == NULL) {
			note_unroutable(d, is, "no handler takes its type and there is no default handler");
			continue;
		}
		p = plugin_for_handler(&d->plugins, h);
		if (p == NULL) {
			note_unroutable(d, is, "no loaded plugin serves its handler");
			continue;
		}
		dispatchable++;
		host = sched_pick_host(d, h, 0);
		if (host == NULL) {
			queued++;
			continue;
		}
		host_acquire(host);
		nfree--;
		task_start(d, is, h->type, p, host);
	}
	while (ri < nretries && nfree > 0)
		place_retry(d, retries[ri++], &nfree);
	if (order != ready)
		free(order);
	free(retries);
	d->ready_count = dispatchable;
	d->queued_count = queued;
	daemon_check_idle(d);
}
