/*
 * host.c - a GPU host as the daemon runs it: its slots (the seed's per-host
 * semaphore, counted here and nowhere else), its health, and its counters.
 *
 * fail_threshold consecutive failures take a host out of rotation; while it is
 * down it is probed every health_interval (Ollama GET /api/tags, OpenAI GET
 * /v1/models) and comes back once it answers and lists its model.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "ygg.h"

static void probe_start(struct host *h);

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
conf_clear(struct host_conf *c)
{
	free(c->name);
	free(c->url);
	free(c->model);
	free(c->api_key_env);
	free(c->api_key_file);
	free(c->options);
	memset(c, 0, sizeof *c);
}

static void
conf_copy(struct host_conf *dst, const struct host_conf *src)
{
	*dst = *src;
	dst->name = dup_or_null(src->name);
	dst->url = dup_or_null(src->url);
	dst->model = dup_or_null(src->model);
	dst->api_key_env = dup_or_null(src->api_key_env);
	dst->api_key_file = dup_or_null(src->api_key_file);
	dst->options = dup_or_null(src->options);
}

/*
 * The API key, from the environment or from a file only its owner can read. The
 * key itself is never logged; a refusal names the file or variable.
 */
static void
load_api_key(struct host *h)
{
	const struct host_conf *c = h->conf;

	free(h->api_key);
	h->api_key = NULL;
	if (c->api_key_env != NULL) {
		const char *v = getenv(c->api_key_env);
		if (v == NULL || *v == '\0')
			log_warnx("host=%s api_key_env=%s is not set: requests go without a key", h->name,
			    c->api_key_env);
		else
			h->api_key = xstrdup(v);
	}
	if (c->api_key_file != NULL) {
		struct stat st;
		int fd = open(c->api_key_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd == -1 || fstat(fd, &st) == -1) {
			log_warn("host=%s api_key_file=%s cannot be read", h->name, c->api_key_file);
		} else if ((st.st_mode & 077) != 0) {
			log_warnx("host=%s api_key_file=%s has mode %04o: refusing it, chmod 600 the file",
			    h->name, c->api_key_file, (unsigned)(st.st_mode & 07777));
		} else {
			char buf[4096];
			ssize_t n = read(fd, buf, sizeof buf - 1);
			if (n > 0) {
				while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
					n--;
				h->api_key = xstrndup(buf, (size_t)n);
			}
		}
		if (fd != -1)
			close(fd);
	}
}

struct host *
host_new(struct daemon *d, const struct host_conf *conf)
{
	struct host *h = xcalloc(1, sizeof *h);

	h->d = d;
	h->name = xstrdup(conf->name);
	conf_copy(&h->conf_copy, conf);
	h->conf = &h->conf_copy;
	h->healthy = true;
	h->last_change = now_mono_ns();
	load_api_key(h);
	return h;
}

void
host_free(struct host *h)
{
	if (h == NULL)
		return;
	if (h->probe != NULL)
		http_cancel(h->probe);
	if (h->probe_ev != NULL)
		event_free(h->probe_ev);
	conf_clear(&h->conf_copy);
	if (h->api_key != NULL)
		explicit_bzero(h->api_key, strlen(h->api_key));
	free(h->api_key);
	free(h->last_error);
	free(h->name);
	free(h);
}

void
host_update(struct host *h, const struct host_conf *conf)
{
	conf_clear(&h->conf_copy);
	conf_copy(&h->conf_copy, conf);
	h->removed = false;
	load_api_key(h);
}

bool
host_has_free_slot(const struct host *h)
{
	return h->healthy && !h->removed && h->in_flight < h->conf->slots;
}

/* Busy-time accounting: integrate in_flight over time at every change. */
static void
account(struct host *h)
{
	int64_t now = now_mono_ns();

	if (h->in_flight > 0) {
		h->busy_ns += now - h->last_change;
		h->slot_ns += (now - h->last_change) * h->in_flight;
	}
	h->last_change = now;
}

void
host_acquire(struct host *h)
{
	account(h);
	h->in_flight++;
	if (h->in_flight > h->max_in_flight)
		h->max_in_flight = h->in_flight;
}

void
host_release(struct host *h)
{
	account(h);
	if (h->in_flight > 0)
		h->in_flight--;
	sched_kick(h->d);
}

void
host_note_success(struct host *h)
{
	h->consecutive_failures = 0;
	if (!h->healthy) {
		h->healthy = true;
		log_info("host=%s back in rotation", h->name);
		sched_kick(h->d);
	}
}

static double
health_interval(const struct host *h)
{
	if (h->conf->health_interval > 0)
		return h->conf->health_interval;
	return h->d->cfg->health_interval > 0 ? h->d->cfg->health_interval : 10;
}

static void
probe_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	probe_start(arg);
}

static void
probe_schedule(struct host *h)
{
	double s = health_interval(h);
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };

	if (h->probe_ev == NULL)
		h->probe_ev = evtimer_new(h->d->base, probe_timer, h);
	evtimer_add(h->probe_ev, &tv);
}

void
host_note_failure(struct host *h, const char *why)
{
	int threshold = h->conf->fail_threshold > 0 ? h->conf->fail_threshold : h->d->cfg->fail_threshold;

	free(h->last_error);
	h->last_error = xstrdup(why != NULL ? why : "failed");
	h->consecutive_failures++;
	if (h->healthy && threshold > 0 && h->consecutive_failures >= threshold) {
		h->healthy = false;
		h->down_since = now_wall_ns();
		log_warnx("host=%s out of rotation after %d failures in a row: %s; probing every %g s",
		    h->name, h->consecutive_failures, h->last_error, health_interval(h));
		probe_schedule(h);
	}
}

struct probe_ctx {
	struct host *h;
	struct buf body;
};

static int
probe_data(const char *data, size_t len, void *arg)
{
	struct probe_ctx *pc = arg;

	if (pc->body.len + len > 4 * 1024 * 1024)
		return 1;
	buf_add(&pc->body, data, len);
	return 0;
}

static void
probe_done(const struct http_result *res, void *arg)
{
	struct probe_ctx *pc = arg;
	struct host *h = pc->h;

	h->probe = NULL;
	if (res->curl_code == 0 && res->status == 200) {
		int has = llm_probe_has_model(h->conf->api, pc->body.p != NULL ? pc->body.p : "", pc->body.len,
		    h->conf->model);
		/*
		 * It answers: back in rotation. A missing model is only a warning - names
		 * differ between servers, and a task it cannot serve moves on by itself.
		 */
		h->consecutive_failures = 0;
		h->healthy = true;
		if (has == 1)
			log_info("host=%s probe ok: back in rotation", h->name);
		else
			log_warnx("host=%s answers again but %s %s; back in rotation, tasks it refuses move to the "
			          "next host",
			    h->name, has == 0 ? "does not list model" : "sent an unreadable model list for",
			    h->conf->model);
		sched_kick(h->d);
	} else {
		log_debug("host=%s probe failed: %s (HTTP %ld)", h->name,
		    res->error != NULL ? res->error : "error", res->status);
		probe_schedule(h);
	}
	buf_free(&pc->body);
	free(pc);
}

static void
probe_start(struct host *h)
{
	struct probe_ctx *pc;
	char *url, *auth = NULL;
	const char *headers[2] = { NULL, NULL };

	if (h->healthy || h->removed || h->probe != NULL)
		return;
	pc = xcalloc(1, sizeof *pc);
	pc->h = h;
	buf_init(&pc->body);
	url = xasprintf("%s%s", h->conf->url, llm_probe_path(h->conf->api));
	if (h->api_key != NULL && h->conf->api == API_OPENAI) {
		auth = xasprintf("Authorization: Bearer %s", h->api_key);
		headers[0] = auth;
	}
	struct http_opts o = {
		.method = "GET",
		.url = url,
		.headers = headers,
		.connect_timeout = h->conf->connect_timeout > 0 ? h->conf->connect_timeout : 10,
		.total_timeout = 10,
		.max_bytes = 4 * 1024 * 1024,
	};
	h->probe = http_start(h->d->http, &o, probe_data, probe_done, pc);
	if (h->probe == NULL) {
		buf_free(&pc->body);
		free(pc);
		probe_schedule(h);
	}
	free(url);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
}

struct host *
host_find(struct daemon *d, const char *name)
{
	struct host *h;

	TAILQ_FOREACH(h, &d->hosts, entry) {
		if (strcmp(h->name, name) == 0)
			return h;
	}
	return NULL;
}
