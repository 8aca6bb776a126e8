/*
 * metrics.c - GET /metrics: the daemon's counters in the Prometheus text
 * exposition format, version 0.0.4.
 *
 * Every family gets "# HELP" and "# TYPE" before its samples and its samples
 * stay together; label values are escaped (\\, \", \n); histograms give
 * cumulative buckets ending in le="+Inf" (equal to _count), then _sum and
 * _count; counters end in _total. Families with labels but no samples yet are
 * still described, so a dashboard sees them from the first scrape.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

void
metrics_label_escape(struct buf *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			buf_adds(out, "\\\\");
			break;
		case '"':
			buf_adds(out, "\\\"");
			break;
		case '\n':
			buf_adds(out, "\\n");
			break;
		default:
			buf_addc(out, *s);
			break;
		}
	}
}

/* HELP text escapes only backslash and newline. */
static void
help_escape(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_adds(out, "\\\\");
		else if (*s == '\n')
			buf_adds(out, "\\n");
		else
			buf_addc(out, *s);
	}
}

void
metrics_value(struct buf *out, double v)
{
	char text[64];

	if (isnan(v)) {
		buf_adds(out, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_adds(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == floor(v) && fabs(v) < 9e15) {
		buf_printf(out, "%.0f", v);
		return;
	}
	/* The shortest text that reads back as the same double. */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(text, sizeof text, "%.*g", prec, v);
		if (strtod(text, NULL) == v)
			break;
	}
	buf_adds(out, text);
}

static void
family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s ", name);
	help_escape(out, help);
	buf_printf(out, "\n# TYPE %s %s\n", name, type);
}

/*
 * One sample: name, then label pairs (NULL-terminated list of name, value,
 * name, value ...), then the value.
 */
static void
sample(struct buf *out, const char *name, const char *const *labels, double v)
{
	buf_adds(out, name);
	if (labels != NULL && labels[0] != NULL) {
		buf_addc(out, '{');
		for (size_t i = 0; labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
			if (i > 0)
				buf_addc(out, ',');
			buf_printf(out, "%s=\"", labels[i]);
			metrics_label_escape(out, labels[i + 1]);
			buf_addc(out, '"');
		}
		buf_addc(out, '}');
	}
	buf_addc(out, ' ');
	metrics_value(out, v);
	buf_addc(out, '\n');
}

static void
histogram(struct buf *out, const char *name, const char *help, const struct histogram *hg)
{
	char bname[128], le[32];
	uint64_t cum = 0;

	family(out, name, "histogram", help);
	snprintf(bname, sizeof bname, "%s_bucket", name);
	for (size_t i = 0; i < STATS_BUCKETS; i++) {
		cum += hg->counts[i];
		snprintf(le, sizeof le, "%g", stats_bucket_bounds[i]);
		const char *labels[] = { "le", le, NULL };
		sample(out, bname, labels, (double)cum);
	}
	/* +Inf is the count by definition, whatever the per-bucket tally says. */
	const char *inf[] = { "le", "+Inf", NULL };
	sample(out, bname, inf, (double)hg->count);
	snprintf(bname, sizeof bname, "%s_sum", name);
	sample(out, bname, NULL, hg->sum);
	snprintf(bname, sizeof bname, "%s_count", name);
	sample(out, bname, NULL, (double)hg->count);
}

static double
busy_seconds(const struct host *h)
{
	int64_t ns = h->busy_ns;

	if (h->in_flight > 0)
		ns += now_mono_ns() - h->last_change;
	return (double)ns / 1e9;
}

void
metrics_render(struct daemon *d, struct buf *out)
{
	struct outcome_counter *oc;
	struct host *h;
	struct plugin *p;
	struct plugin_error *pe;
	size_t nplugins = 0, nerrors = 0;

	family(out, "ygg_up", "gauge", "1 while yggd runs and answers.");
	sample(out, "ygg_up", NULL, 1);
	family(out, "ygg_build_info", "gauge", "The running yggd's version, as a label; always 1.");
	{
		const char *labels[] = { "version", YGG_VERSION, NULL };
		sample(out, "ygg_build_info", labels, 1);
	}
	family(out, "ygg_start_time_seconds", "gauge", "When yggd started, seconds since the Unix epoch.");
	sample(out, "ygg_start_time_seconds", NULL, (double)(d->started_wall / 1000000000));

	family(out, "ygg_ready", "gauge", "Ready tasks that a handler takes, at the last scheduling pass.");
	sample(out, "ygg_ready", NULL, (double)d->ready_count);
	family(out, "ygg_queue_depth", "gauge", "Ready tasks waiting for a free slot, at the last scheduling pass.");
	sample(out, "ygg_queue_depth", NULL, (double)d->queued_count);
	family(out, "ygg_tasks_in_flight", "gauge",
	    "Tasks yggd is working on: claiming, running, waiting to retry or being written back.");
	sample(out, "ygg_tasks_in_flight", NULL, (double)d->ntasks);

	family(out, "ygg_tasks_total", "counter",
	    "Task outcomes by handler, host and outcome (closed, blocked, retried, cancelled, reopened).");
	TAILQ_FOREACH(oc, &d->stats.outcomes, entry) {
		const char *labels[] = { "handler", oc->handler, "host", oc->host, "outcome", oc->outcome, NULL };
		sample(out, "ygg_tasks_total", labels, (double)oc->n);
	}

	family(out, "ygg_host_slots", "gauge", "Concurrent requests a host may have (slots =).");
	TAILQ_FOREACH(h, &d->hosts, entry) {
		const char *labels[] = { "host", h->name, NULL };
		sample(out, "ygg_host_slots", labels, h->conf->slots);
	}
	family(out, "ygg_host_in_flight", "gauge", "Requests in flight to a host now.");
	TAILQ_FOREACH(h, &d->hosts, entry) {
		const char *labels[] = { "host", h->name, NULL };
		sample(out, "ygg_host_in_flight", labels, h->in_flight);
	}
	family(out, "ygg_host_max_in_flight", "gauge", "The most requests in flight to a host at once since start.");
	TAILQ_FOREACH(h, &d->hosts, entry) {
		const char *labels[] = { "host", h->name, NULL };
		sample(out, "ygg_host_max_in_flight", labels, h->max_in_flight);
	}
	family(out, "ygg_host_up", "gauge", "1 when a host is in rotation, 0 while it is down and being probed.");
	TAILQ_FOREACH(h, &d->hosts, entry) {
		const char *labels[] = { "host", h->name, NULL };
		sample(out, "ygg_host_up", labels, h->healthy ? 1 : 0);
	}
	family(out, "ygg_host_busy_seconds_total", "counter", "Seconds a host had at least one request in flight.");
	TAILQ_FOREACH(h, &d->hosts, entry) {
		const char *labels[] = { "host", h->name, NULL };
		sample(out, "ygg_host_busy_seconds_total", labels, busy_seconds(h));
	}

	histogram(out, "ygg_task_duration_seconds", "Seconds from sending a request to the end of its reply.",
	    &d->stats.duration);
	histogram(out, "ygg_time_to_first_token_seconds",
	    "Seconds from sending a request to the first byte of content.", &d->stats.ttft);

	family(out, "ygg_tokens_total", "counter", "Tokens the hosts reported, by kind (prompt or completion).");
	{
		const char *prompt[] = { "kind", "prompt", NULL };
		const char *completion[] = { "kind", "completion", NULL };
		sample(out, "ygg_tokens_total", prompt, (double)d->stats.prompt_tokens);
		sample(out, "ygg_tokens_total", completion, (double)d->stats.completion_tokens);
	}

	TAILQ_FOREACH(p, &d->plugins.loaded, entry)
		nplugins++;
	TAILQ_FOREACH(pe, &d->plugins.errors, entry)
		nerrors++;
	family(out, "ygg_plugins_loaded", "gauge", "Handler plugins loaded now.");
	sample(out, "ygg_plugins_loaded", NULL, (double)nplugins);
	family(out, "ygg_plugins_refused", "gauge", "Files in plugin_dir refused at the last scan.");
	sample(out, "ygg_plugins_refused", NULL, (double)nerrors);

	if (d->store != NULL) {
		struct store_stats ss;
		memset(&ss, 0, sizeof ss);
		store_get_stats(d->store, &ss);
		family(out, "ygg_store_writes_total", "counter", "Writes to the tracker (jsonl rewrites, bd calls that wrote).");
		sample(out, "ygg_store_writes_total", NULL, (double)ss.writes);
		family(out, "ygg_store_conflicts_total", "counter",
		    "Tracker changes refused because someone else changed the issue first.");
		sample(out, "ygg_store_conflicts_total", NULL, (double)ss.conflicts);
		family(out, "ygg_store_errors_total", "counter", "Tracker writes that failed (I/O, bd errors).");
		sample(out, "ygg_store_errors_total", NULL, (double)ss.errors);
	}
}
