/*
 * stats.c - the counters behind /status and /metrics: outcomes per handler, host
 * and outcome, duration and time-to-first-token histograms, tokens, and a ring of
 * recent completions for the live views.
 */
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

const double stats_bucket_bounds[STATS_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
};

void
histogram_observe(struct histogram *hg, double v)
{
	size_t i = 0;

	while (i < STATS_BUCKETS && v > stats_bucket_bounds[i])
		i++;
	hg->counts[i]++;
	hg->sum += v;
	hg->count++;
}

void
stats_init(struct stats *s)
{
	memset(s, 0, sizeof *s);
	TAILQ_INIT(&s->outcomes);
}

void
stats_clear(struct stats *s)
{
	struct outcome_counter *oc;

	while ((oc = TAILQ_FIRST(&s->outcomes)) != NULL) {
		TAILQ_REMOVE(&s->outcomes, oc, entry);
		free(oc->handler);
		free(oc->host);
		free(oc->outcome);
		free(oc);
	}
}

void
stats_outcome(struct stats *s, const char *handler, const char *host, const char *outcome)
{
	struct outcome_counter *oc;

	handler = handler != NULL ? handler : "";
	host = host != NULL ? host : "";
	TAILQ_FOREACH(oc, &s->outcomes, entry) {
		if (strcmp(oc->handler, handler) == 0 && strcmp(oc->host, host) == 0 &&
		    strcmp(oc->outcome, outcome) == 0) {
			oc->n++;
			return;
		}
	}
	oc = xcalloc(1, sizeof *oc);
	oc->handler = xstrdup(handler);
	oc->host = xstrdup(host);
	oc->outcome = xstrdup(outcome);
	oc->n = 1;
	TAILQ_INSERT_TAIL(&s->outcomes, oc, entry);
}

static void
copy_field(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

void
stats_completion(struct stats *s, const char *id, const char *host, const char *handler,
    const char *outcome, const char *reason, double seconds)
{
	struct completion *c = &s->recent[s->recent_next];

	copy_field(c->id, sizeof c->id, id);
	copy_field(c->host, sizeof c->host, host);
	copy_field(c->handler, sizeof c->handler, handler);
	copy_field(c->outcome, sizeof c->outcome, outcome);
	copy_field(c->reason, sizeof c->reason, reason);
	c->seconds = seconds;
	c->when = now_wall_ns();
	s->recent_next = (s->recent_next + 1) % STATS_RECENT;
	if (s->nrecent < STATS_RECENT)
		s->nrecent++;
}
