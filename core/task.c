/*
 * task.c - one task's life, from the claim to the last write back:
 *
 *   claim (store) -> build request (plugin) -> LLM call (llm/http) -> reply
 *     -> handle reply (plugin) -> result.md + artifacts (worker) -> close (store)
 *
 * Failures are decided once, here, from the class llm.c gave them: transient ones
 * wait for a backoff (holding no slot) and run again up to max_attempts; permanent
 * ones block the task with the server's words; a host without the model hands the
 * task to the next host in its list. Whatever happens, the task ends closed,
 * blocked, reopened, or left to whoever else changed it - never in_progress by a
 * daemon that is still running.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ygg.h"

static void task_run_attempt(struct task *t);
static void task_fail(struct task *t, const char *reason);

/* ---- the id index */

static size_t
bucket(const struct daemon *d, const char *id)
{
	return (size_t)(hash64(id, strlen(id)) & (d->task_hash_size - 1));
}

static void
index_add(struct task *t)
{
	struct daemon *d = t->d;

	if (d->task_hash == NULL) {
		d->task_hash_size = 1024;
		d->task_hash = xcalloc(d->task_hash_size, sizeof *d->task_hash);
	}
	size_t b = bucket(d, t->id);
	t->hash_next = d->task_hash[b];
	d->task_hash[b] = t;
}

static void
index_remove(struct task *t)
{
	struct daemon *d = t->d;
	struct task **pp = &d->task_hash[bucket(d, t->id)];

	while (*pp != NULL && *pp != t)
		pp = &(*pp)->hash_next;
	if (*pp == t)
		*pp = t->hash_next;
}

struct task *
task_find(struct daemon *d, const char *id)
{
	if (d->task_hash == NULL)
		return NULL;
	for (struct task *t = d->task_hash[bucket(d, id)]; t != NULL; t = t->hash_next) {
		if (strcmp(t->id, id) == 0)
			return t;
	}
	return NULL;
}

/* ---- the task's own copy of its issue (the store may reload under it) */

static char *
dup_opt(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static struct issue *
issue_copy(const struct issue *is)
{
	struct issue *c = xcalloc(1, sizeof *c);

	c->id = xstrdup(is->id);
	c->title = dup_opt(is->title);
	c->description = dup_opt(is->description);
	c->design = dup_opt(is->design);
	c->acceptance_criteria = dup_opt(is->acceptance_criteria);
	c->notes = dup_opt(is->notes);
	c->status = dup_opt(is->status);
	c->issue_type = dup_opt(is->issue_type);
	c->assignee = dup_opt(is->assignee);
	c->created_at = dup_opt(is->created_at);
	c->updated_at = dup_opt(is->updated_at);
	c->created_ns = is->created_ns;
	c->priority = is->priority;
	if (is->nlabels > 0) {
		c->labels = xcalloc(is->nlabels + 1, sizeof *c->labels);
		for (size_t i = 0; i < is->nlabels; i++)
			c->labels[i] = xstrdup(is->labels[i]);
		c->nlabels = is->nlabels;
	}
	return c;
}

/* ---- lifetime */

void
task_free(struct task *t)
{
	if (t == NULL)
		return;
	if (t->call != NULL)
		llm_call_cancel(t->call);
	if (t->timer != NULL)
		event_free(t->timer);
	if (t->plugin != NULL)
		plugin_unref(&t->d->plugins, t->plugin);
	issue_free(t->issue);
	free(t->id);
	free(t->type);
	free(t->last_error);
	free(t);
}

static void
release_slot(struct task *t)
{
	if (t->holds_slot) {
		t->holds_slot = false;
		host_release(t->host);
	}
}

/* Forget the task once nothing it started is still outstanding. */
static void
task_done(struct task *t)
{
	struct daemon *d = t->d;

	t->finished = true;
	release_slot(t);
	if (t->pending_ops > 0)
		return;
	index_remove(t);
	TAILQ_REMOVE(&d->tasks, t, entry);
	d->ntasks--;
	task_free(t);
	sched_kick(d);
}

static const struct handler_conf *
task_handler(const struct task *t)
{
	return config_handler(t->d->cfg, t->type);
}

static const char *
host_name(const struct task *t)
{
	return t->host != NULL ? t->host->name : "-";
}

static double
since(int64_t mono)
{
	return (double)(now_mono_ns() - mono) / 1e9;
}

/* ---- store writes, retried when the store itself fails (disk full, bd down) */

struct write_ctx {
	struct task *t;
	enum store_op op;
	char *reason;
	char *comment;
	const char *outcome; /* for stats and the log */
};

static void write_submit(struct write_ctx *w);

static void
write_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct write_ctx *w = arg;

	(void)fd, (void)what;
	/* the wait counted as an operation (the task must outlive the timer); the submit counts again */
	w->t->pending_ops--;
	write_submit(w);
}

static void
write_done(int result, const char *err, void *arg)
{
	struct write_ctx *w = arg;
	struct task *t = w->t;
	struct daemon *d = t->d;

	t->pending_ops--;
	if (result == STORE_ERROR && t->write_retries < 5 && !d->exit_requested) {
		/* The write did not happen: the task would stay in_progress. Try again. */
		t->write_retries++;
		log_warnx("task=%s cannot write %s to the tracker (try %d of 6): %s", t->id, w->outcome,
		    t->write_retries, err != NULL ? err : "error");
		struct timeval tv = { t->write_retries, 0 };
		t->pending_ops++;
		event_base_once(d->base, -1, EV_TIMEOUT, write_retry_cb, w, &tv);
		return;
	}
	if (result == STORE_OK) {
		log_info("task=%s %s host=%s handler=%s attempt=%d", t->id, w->outcome, host_name(t), t->type,
		    t->attempt);
		stats_outcome(&d->stats, t->type, host_name(t), w->outcome);
		stats_completion(&d->stats, t->id, host_name(t), t->type, w->outcome,
		    strcmp(w->outcome, "closed") == 0 ? NULL : t->last_error, since(t->claimed_at));
		if (strcmp(w->outcome, "closed") == 0 && t->host != NULL)
			t->host->done++;
		else if (strcmp(w->outcome, "blocked") == 0 && t->host != NULL)
			t->host->failed++;
	} else if (result == STORE_CONFLICT) {
		log_info("task=%s not %s: someone else changed it (%s); their status stands", t->id, w->outcome,
		    err != NULL ? err : "precondition failed");
		stats_outcome(&d->stats, t->type, host_name(t), "cancelled");
	} else {
		log_warnx("task=%s could not be marked %s in the tracker: %s", t->id, w->outcome,
		    err != NULL ? err : "error");
	}
	free(w->reason);
	free(w->comment);
	free(w);
	task_done(t);
	daemon_check_idle(d);
}

static void
write_submit(struct write_ctx *w)
{
	w->t->pending_ops++;
	store_submit(w->t->d->store, w->op, w->t->id, w->reason, w->comment, write_done, w);
}

/* The last write of a task: close, block or reopen, then forget it. */
static void
task_write_final(struct task *t, enum store_op op, const char *reason, const char *comment, const char *outcome)
{
	struct write_ctx *w = xcalloc(1, sizeof *w);

	t->state = TASK_WRITING;
	release_slot(t);
	w->t = t;
	w->op = op;
	w->reason = dup_opt(reason);
	w->comment = dup_opt(comment);
	w->outcome = outcome;
	write_submit(w);
}

/* ---- success */

struct finish_ctx {
	struct task *t;
	char *close_reason;
	char *comment;
};

static void
artifacts_written(int ok, const char *why, const char *dir, void *arg)
{
	struct finish_ctx *f = arg;
	struct task *t = f->t;

	(void)dir;
	t->pending_ops--;
	if (t->finished) {
		/* cancelled while writing: the other writer's status stands */
		task_done(t);
	} else if (ok != 0) {
		char *reason = xasprintf("the result could not be saved: %s", why != NULL ? why : "write failed");
		log_warnx("task=%s %s", t->id, reason);
		task_fail(t, reason);
		free(reason);
	} else {
		task_write_final(t, STORE_COMPLETE, f->close_reason, f->comment, "closed");
	}
	free(f->close_reason);
	free(f->comment);
	free(f);
}

/*
 * The comment is a C string on its way to the store: a NUL byte in a plugin's
 * text would silently end it there, so each becomes U+FFFD (result.md keeps the
 * bytes as they were).
 */
static void
add_without_nul(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\0')
			buf_adds(b, "\xef\xbf\xbd");
		else
			buf_addc(b, p[i]);
	}
}

static char *
format_comment(struct task *t, const struct ygg_result *res)
{
	size_t max = t->d->cfg->max_comment_bytes > 0 ? t->d->cfg->max_comment_bytes : 16384;
	char *dir = artifact_dir_name(t->id);
	struct buf b;

	buf_init(&b);
	if (res->len <= max) {
		add_without_nul(&b, res->text, res->len);
	} else {
		size_t cut = hostapi_get()->text_cut(res->text, res->len, max);
		add_without_nul(&b, res->text, cut);
		buf_printf(&b, "\n\n[cut at %zu of %zu bytes; the whole result is in %s/%s/result.md]", cut, res->len,
		    t->d->cfg->artifacts_dir, dir);
	}
	free(dir);
	return buf_steal(&b);
}

static void
task_succeeded(struct task *t, const struct ygg_reply *reply, struct ygg_result *res)
{
	struct daemon *d = t->d;
	struct finish_ctx *f = xcalloc(1, sizeof *f);
	int64_t tokens = reply->completion_tokens;

	f->t = t;
	f->close_reason = xasprintf("yggd: %s on %s (%s): %lld tokens in %.1f s, attempt %d", t->type,
	    t->host->name, reply->model != NULL && *reply->model != '\0' ? reply->model : t->host->conf->model,
	    (long long)(tokens > 0 ? tokens : 0), reply->duration, t->attempt);
	f->comment = format_comment(t, res);
	t->state = TASK_WRITING;
	release_slot(t);
	t->pending_ops++;
	artifact_write(d->writer, d->cfg->artifacts_dir, t->id, res->text, res->len, res->arts, res->narts,
	    artifacts_written, f);
}

/* ---- failure */

static void
task_fail(struct task *t, const char *reason)
{
	char *comment = xasprintf("yggd could not complete this task (%s, %d attempt%s): %s", t->type,
	    t->attempt, t->attempt == 1 ? "" : "s", reason);

	free(t->last_error);
	t->last_error = xstrdup(reason);
	log_warnx("task=%s blocked host=%s attempt=%d error=\"%s\"", t->id, host_name(t), t->attempt, reason);
	task_write_final(t, STORE_FAIL, NULL, comment, "blocked");
	free(comment);
}

static void
retry_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct task *t = arg;

	(void)fd, (void)what;
	if (t->state != TASK_RETRY_WAIT)
		return;
	t->state = TASK_RETRY_DUE;
	sched_kick(t->d);
}

/* Exponential backoff with jitter; Retry-After wins when it asks for longer. */
static double
backoff_delay(const struct task *t, double retry_after)
{
	const struct ygg_config *cfg = t->d->cfg;
	double base = cfg->backoff_base > 0 ? cfg->backoff_base : 2;
	double max = cfg->backoff_max > 0 ? cfg->backoff_max : 300;
	double delay = base * pow(2, t->attempt - 1);

	if (delay > max)
		delay = max;
	delay *= 0.5 + (double)random() / (double)RAND_MAX; /* 0.5x .. 1.5x */
	/*
	 * Retry-After is a floor. libevent's timers run on a coarse clock read at
	 * the start of the loop turn and may fire a few ms early: a little margin
	 * keeps the retry from reaching the server before the time it asked for.
	 */
	if (retry_after > 0 && retry_after + 0.02 > delay)
		delay = retry_after + 0.02;
	return delay;
}

static void
task_retry_later(struct task *t, const char *why, double retry_after)
{
	double delay = backoff_delay(t, retry_after);
	struct timeval tv = { (time_t)delay, (suseconds_t)((delay - floor(delay)) * 1e6) };

	log_warnx("task=%s host=%s attempt=%d of %d failed: %s; retrying in %.1f s", t->id, host_name(t),
	    t->attempt, t->max_attempts, why, delay);
	stats_outcome(&t->d->stats, t->type, host_name(t), "retried");
	if (t->host != NULL)
		t->host->retried++;
	release_slot(t);
	t->attempt++;
	t->state = TASK_RETRY_WAIT;
	if (t->timer == NULL)
		t->timer = evtimer_new(t->d->base, retry_timer_cb, t);
	evtimer_add(t->timer, &tv);
}

/* ---- the reply */

static int
handler_index_of(const struct handler_conf *h, const char *host)
{
	for (size_t i = 0; h != NULL && i < h->nhosts; i++) {
		if (strcmp(h->hosts[i], host) == 0)
			return (int)i;
	}
	return -1;
}

static void
on_reply(struct ygg_reply *reply, void *arg)
{
	struct task *t = arg;
	struct daemon *d = t->d;
	const char *why = reply->error != NULL ? reply->error : "the request failed";

	t->call = NULL;
	if (reply->ttft >= 0)
		histogram_observe(&d->stats.ttft, reply->ttft);
	histogram_observe(&d->stats.duration, reply->duration);
	if (reply->prompt_tokens > 0)
		d->stats.prompt_tokens += (uint64_t)reply->prompt_tokens;
	if (reply->completion_tokens > 0)
		d->stats.completion_tokens += (uint64_t)reply->completion_tokens;
	free(t->last_error);
	t->last_error = reply->error != NULL ? xstrdup(reply->error) : NULL;

	switch (reply->fail) {
	case FAIL_NONE: {
		struct ygg_result res;
		struct ygg_task yt = {
			.issue = t->issue,
			.handler = task_handler(t),
			.host = t->host->conf,
			.type = t->type,
			.plugin_name = t->plugin->name,
			.attempt = t->attempt,
		};
		host_note_success(t->host);
		sched_learn(d, t->type, reply->duration);
		result_init(&res);
		int rc = t->plugin->desc->handle_reply(t->plugin->state, &yt, reply, &res);
		if (rc == 0 && res.fail_reason == NULL && res.len > 0) {
			task_succeeded(t, reply, &res);
		} else {
			/* A reply the handler cannot use: the model may do better next time. */
			char *r = xasprintf("%s could not use the reply: %s", t->plugin->name,
			    res.fail_reason != NULL ? res.fail_reason
			    : rc != 0               ? "the handler failed without saying why"
			                            : "the result was empty");
			if (t->attempt < t->max_attempts)
				task_retry_later(t, r, -1);
			else
				task_fail(t, r);
			free(r);
		}
		result_clear(&res);
		break;
	}
	case FAIL_MODEL_MISSING: {
		const struct handler_conf *h = task_handler(t);
		int idx = handler_index_of(h, t->host->name);
		log_warnx("task=%s host=%s does not have model %s: %s", t->id, t->host->name, t->host->conf->model,
		    why);
		if (idx >= 0 && idx < 32)
			t->tried_model_missing |= 1u << idx;
		release_slot(t);
		bool more = false;
		for (size_t i = 0; h != NULL && i < h->nhosts && i < 32; i++)
			more |= (t->tried_model_missing & (1u << i)) == 0 && host_find(d, h->hosts[i]) != NULL;
		if (more) {
			/* Not an attempt: this host simply cannot serve it. */
			t->state = TASK_RETRY_DUE;
			sched_kick(d);
		} else {
			char *r = xasprintf("no host in this handler's list has the model (last: %s)", why);
			task_fail(t, r);
			free(r);
		}
		break;
	}
	case FAIL_TRANSIENT:
		host_note_failure(t->host, why);
		if (t->attempt < t->max_attempts)
			task_retry_later(t, why, reply->retry_after);
		else {
			char *r = xasprintf("gave up after %d attempts; last error: %s", t->attempt, why);
			task_fail(t, r);
			free(r);
		}
		break;
	case FAIL_PERMANENT:
	default: {
		/* a refusal is the server's; a reply over a cap or unusable for good is ours */
		char *r = xasprintf("%s: %s", reply->status >= 400 ? "the request was refused" : "the reply cannot be used",
		    why);
		task_fail(t, r);
		free(r);
		break;
	}
	case FAIL_CANCELLED:
		release_slot(t);
		task_done(t);
		break;
	}
	daemon_check_idle(d);
}

static void
task_run_attempt(struct task *t)
{
	struct daemon *d = t->d;
	const struct handler_conf *h = task_handler(t);
	struct ygg_request req;
	struct ygg_task yt = {
		.issue = t->issue,
		.handler = h,
		.host = t->host->conf,
		.type = t->type,
		.plugin_name = t->plugin->name,
		.attempt = t->attempt,
	};

	t->state = TASK_RUNNING;
	t->started_at = now_mono_ns();
	request_init(&req);
	if (t->plugin->desc->build_request(t->plugin->state, &yt, &req) != 0) {
		request_clear(&req);
		char *r = xasprintf("the %s handler could not build a request for this task", t->plugin->name);
		task_fail(t, r);
		free(r);
		return;
	}
	struct llm_call_opts o = {
		.host = t->host->conf,
		.api_key = t->host->api_key,
		.total_timeout = h != NULL && h->timeout > 0 ? h->timeout : t->host->conf->timeout,
		.max_bytes = d->cfg->max_response_bytes,
	};
	log_debug("task=%s host=%s attempt=%d sending", t->id, t->host->name, t->attempt);
	t->call = llm_call_start(d->http, &o, &req, on_reply, t);
	request_clear(&req);
	if (t->call == NULL) {
		host_note_failure(t->host, "could not start the request");
		if (t->attempt < t->max_attempts)
			task_retry_later(t, "could not start the request", -1);
		else
			task_fail(t, "could not start the request");
	}
}

/* ---- claim */

static void
on_claimed(int result, const char *err, void *arg)
{
	struct task *t = arg;
	struct daemon *d = t->d;

	t->pending_ops--;
	if (result != STORE_OK) {
		if (result == STORE_CONFLICT)
			log_debug("task=%s not claimed: %s", t->id, err != NULL ? err : "taken");
		else
			log_warnx("task=%s cannot be claimed: %s", t->id, err != NULL ? err : "store error");
		task_done(t);
		daemon_check_idle(d);
		return;
	}
	if (t->abort_requested || d->aborting || d->exit_requested) {
		release_slot(t);
		task_write_final(t, STORE_REOPEN, NULL, NULL, "reopened");
		return;
	}
	log_info("task=%s claimed host=%s handler=%s priority=%d", t->id, t->host->name, t->type,
	    t->issue->priority);
	task_run_attempt(t);
}

struct task *
task_start(struct daemon *d, const struct issue *is, const char *type, struct plugin *p, struct host *h)
{
	struct task *t = xcalloc(1, sizeof *t);
	const struct handler_conf *hc = config_handler(d->cfg, type);

	t->d = d;
	t->id = xstrdup(is->id);
	t->issue = issue_copy(is);
	t->type = xstrdup(type);
	t->plugin = p;
	plugin_ref(p);
	t->host = h;
	t->holds_slot = true; /* the scheduler took it */
	t->attempt = 1;
	t->max_attempts = hc != NULL && hc->max_attempts > 0 ? hc->max_attempts : d->cfg->max_attempts;
	if (t->max_attempts < 1)
		t->max_attempts = 1;
	t->state = TASK_CLAIMING;
	t->claimed_at = now_mono_ns();
	TAILQ_INSERT_TAIL(&d->tasks, t, entry);
	d->ntasks++;
	index_add(t);
	t->pending_ops++;
	store_submit(d->store, STORE_CLAIM, t->id, NULL, NULL, on_claimed, t);
	return t;
}

void
task_resume(struct task *t, struct host *h)
{
	t->host = h;
	t->holds_slot = true;
	task_run_attempt(t);
}

void
task_cancel(struct task *t, const char *why)
{
	if (t->finished || t->state == TASK_WRITING || t->state == TASK_CLAIMING)
		return;
	log_info("task=%s cancelled: %s; request aborted, their status stands", t->id, why);
	if (t->call != NULL) {
		llm_call_cancel(t->call);
		t->call = NULL;
	}
	if (t->timer != NULL)
		evtimer_del(t->timer);
	stats_outcome(&t->d->stats, t->type, host_name(t), "cancelled");
	stats_completion(&t->d->stats, t->id, host_name(t), t->type, "cancelled", why, since(t->claimed_at));
	task_done(t);
}

void
task_abort_reopen(struct task *t, const char *why)
{
	if (t->finished || t->state == TASK_WRITING || t->state == TASK_ABORTING)
		return;
	if (t->state == TASK_CLAIMING) {
		t->abort_requested = true;
		return;
	}
	if (t->call != NULL) {
		llm_call_cancel(t->call);
		t->call = NULL;
	}
	if (t->timer != NULL)
		evtimer_del(t->timer);
	log_info("task=%s reopened: %s", t->id, why);
	free(t->last_error);
	t->last_error = xstrdup(why);
	char *comment = xasprintf("yggd gave this task back unfinished (%s, attempt %d): %s.", t->type, t->attempt, why);
	task_write_final(t, STORE_REOPEN, NULL, comment, "reopened");
	free(comment);
	t->state = TASK_ABORTING;
}
