/*
 * control.c - the control API: a small HTTP server on the daemon's own event loop
 * (libevent's evhttp) that lets an operator look at the daemon and steer it.
 *
 *   GET  /status             JSON: hosts, handlers, plugins, tasks in flight, recent
 *   GET  /metrics            Prometheus text (metrics.c)
 *   GET  /plugins            JSON: loaded, retired and refused plugins
 *   GET  /                   the status page (page.c)
 *   POST /tasks/ID/cancel    abort a task in flight and reopen its issue
 *   POST /reload             re-read the configuration
 *
 * It listens on loopback TCP by default. Anything that changes the daemon needs
 * the bearer token from control_token_file when it arrives over TCP: any local
 * user (and any web page a local browser opens) can reach a loopback port, so
 * the token is what keeps them from cancelling work. A unix socket needs no
 * token: it is created 0600, so only the daemon's user can connect at all.
 *
 * Nothing here blocks: every answer is built from memory the loop owns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "ygg.h"

#define CONTROL_BACKLOG 64
#define CONTROL_TIMEOUT 30            /* seconds an idle client connection stays */
#define CONTROL_MAX_BODY (64 * 1024)  /* no endpoint takes a body worth more */
#define CONTROL_MAX_HEADERS (16 * 1024)
#define TOKEN_MAX 4096

struct control {
	struct daemon *d;
	struct evhttp *http;
	struct control_addr addr;
	char *address;    /* as listened on, for messages */
	char *token;      /* NULL: POST over TCP is refused */
	char *token_file; /* the path the token came from */
	bool unix_created; /* we made addr.path: remove it at exit */
	dev_t sock_dev;
	ino_t sock_ino;
};

/* ---- addresses */

void
control_addr_clear(struct control_addr *a)
{
	if (a == NULL)
		return;
	free(a->host);
	free(a->path);
	memset(a, 0, sizeof *a);
}

static int
parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

int
control_addr_parse(const char *s, struct control_addr *out, char **cause)
{
	struct sockaddr_un sun;
	unsigned char tmp[sizeof(struct in6_addr)];
	const char *colon;
	char *host = NULL;

	memset(out, 0, sizeof *out);
	if (s == NULL || *s == '\0' || strcmp(s, "off") == 0) {
		out->kind = CONTROL_OFF;
		return 0;
	}
	if (strncmp(s, "unix:", 5) == 0) {
		const char *path = s + 5;
		if (*path == '\0') {
			*cause = xasprintf("control = %s: the socket path is missing (unix:/run/ygg/control.sock)", s);
			return -1;
		}
		if (strlen(path) >= sizeof sun.sun_path) {
			*cause = xasprintf("control = %s: the socket path is longer than %zu bytes", s,
			    sizeof sun.sun_path - 1);
			return -1;
		}
		out->kind = CONTROL_UNIX;
		out->path = xstrdup(path);
		return 0;
	}
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':') {
			*cause = xasprintf("control = %s: write an IPv6 address as [ADDR]:PORT", s);
			return -1;
		}
		host = xstrndup(s + 1, (size_t)(close - s - 1));
		colon = close + 1;
		if (inet_pton(AF_INET6, host, tmp) != 1) {
			*cause = xasprintf("control = %s: %s is not an IPv6 address", s, host);
			free(host);
			return -1;
		}
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			*cause = xasprintf("control = %s: expected IP:PORT, [IPv6]:PORT, unix:PATH or off", s);
			return -1;
		}
		host = xstrndup(s, (size_t)(colon - s));
		if (strcmp(host, "localhost") == 0) {
			free(host);
			host = xstrdup("127.0.0.1");
		}
		if (inet_pton(AF_INET, host, tmp) != 1) {
			*cause = xasprintf("control = %s: %s is not an IP address (names are not looked up; "
			                   "use 127.0.0.1 or [::1])",
			    s, host);
			free(host);
			return -1;
		}
	}
	if (parse_port(colon + 1, &out->port) == -1) {
		*cause = xasprintf("control = %s: the port must be a number from 0 to 65535", s);
		free(host);
		return -1;
	}
	out->kind = CONTROL_TCP;
	out->host = host;
	return 0;
}

/* ---- the token */

int
control_token_read(const char *path, char **token, char **cause)
{
	struct stat st;
	char buf[TOKEN_MAX + 1];
	ssize_t n;
	size_t len = 0;
	int fd;

	*token = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd == -1) {
		*cause = xasprintf("control_token_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("control_token_file %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		*cause = xasprintf("control_token_file %s has mode %04o: others could read the token; "
		                   "chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	while (len < TOKEN_MAX && (n = read(fd, buf + len, TOKEN_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			*cause = xasprintf("control_token_file %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	char *p = buf;
	while (*p == ' ' || *p == '\t')
		p++;
	len = strlen(p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len == 0) {
		*cause = xasprintf("control_token_file %s: the first line is empty", path);
		explicit_bzero(buf, sizeof buf);
		return -1;
	}
	*token = xstrndup(p, len);
	explicit_bzero(buf, sizeof buf);
	return 0;
}

/* Compare without an early exit, so the time taken says nothing about the token. */
static bool
token_equal(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	unsigned char diff = alen != blen;

	for (size_t i = 0; i < alen; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (blen ? blen : 1)];
	return diff == 0;
}

/* ---- JSON helpers */

static json_object *
jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

/* A number written with a fixed count of decimals (json-c would print 17 digits). */
static json_object *
jnum(double v, int decimals)
{
	char text[64];

	snprintf(text, sizeof text, "%.*f", decimals, v);
	return json_object_new_double_s(v, text);
}

static json_object *
jtime(int64_t wall_ns)
{
	char text[32];
	time_t t = (time_t)(wall_ns / 1000000000);
	struct tm tm;

	if (wall_ns <= 0 || gmtime_r(&t, &tm) == NULL)
		return NULL;
	strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(text);
}

static char *
json_finish(json_object *o)
{
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

static const char *
task_state_name(enum task_state s)
{
	switch (s) {
	case TASK_CLAIMING:
		return "claiming";
	case TASK_RUNNING:
		return "running";
	case TASK_RETRY_WAIT:
		return "retry-wait";
	case TASK_RETRY_DUE:
		return "retry-due";
	case TASK_WRITING:
		return "writing";
	case TASK_ABORTING:
		return "reopening";
	}
	return "unknown";
}

/* Seconds a host has been busy (at least one request in flight), up to now. */
static double
host_busy_seconds(const struct host *h)
{
	int64_t ns = h->busy_ns;

	if (h->in_flight > 0)
		ns += now_mono_ns() - h->last_change;
	return (double)ns / 1e9;
}

/*
 * Ready tasks waiting for a slot, per handler and per host. A task that is ready
 * and routable but not ours yet is waiting: the scheduler places every task that
 * has a free slot at once. Each counts once, on the first host of its handler's
 * list that exists, so the per-host numbers add up to the queue.
 */
struct queue_counts {
	size_t *per_host;    /* parallel to d->hosts order */
	size_t *per_handler; /* parallel to cfg->handlers */
	size_t nhosts;
};

static size_t
host_index(struct daemon *d, const char *name)
{
	struct host *h;
	size_t i = 0;

	TAILQ_FOREACH(h, &d->hosts, entry) {
		if (strcmp(h->name, name) == 0)
			return i;
		i++;
	}
	return (size_t)-1;
}

static void
queue_count(struct daemon *d, struct queue_counts *q)
{
	const struct issue **ready = NULL;
	struct host *h;
	size_t n;

	q->nhosts = 0;
	TAILQ_FOREACH(h, &d->hosts, entry)
		q->nhosts++;
	q->per_host = xcalloc(q->nhosts + 1, sizeof *q->per_host);
	q->per_handler = xcalloc(d->cfg->nhandlers + 1, sizeof *q->per_handler);
	if (d->store == NULL || d->stopping)
		return;
	n = store_ready(d->store, now_wall_ns(), &ready);
	for (size_t i = 0; i < n; i++) {
		const struct handler_conf *hc;

		if (task_find(d, ready[i]->id) != NULL)
			continue;
		hc = route_issue(d->cfg, ready[i]);
		if (hc == NULL || plugin_for_handler(&d->plugins, hc) == NULL)
			continue;
		q->per_handler[hc - d->cfg->handlers]++;
		for (size_t k = 0; k < hc->nhosts; k++) {
			size_t hi = host_index(d, hc->hosts[k]);
			if (hi != (size_t)-1) {
				q->per_host[hi]++;
				break;
			}
		}
	}
}

static json_object *
plugin_json(struct daemon *d, const struct plugin *p, bool retired)
{
	json_object *o = json_object_new_object();
	json_object *types = json_object_new_array();
	json_object *handlers = json_object_new_array();
	json_object *hosts = json_object_new_array();

	json_object_object_add(o, "name", jstr(p->name));
	json_object_object_add(o, "version", jstr(p->version));
	json_object_object_add(o, "description", jstr(p->desc != NULL ? p->desc->description : NULL));
	json_object_object_add(o, "file", jstr(p->path));
	for (size_t i = 0; p->desc != NULL && p->desc->types != NULL && p->desc->types[i] != NULL; i++)
		json_object_array_add(types, json_object_new_string(p->desc->types[i]));
	json_object_object_add(o, "types", types);
	/* refs counts the tasks on this code, plus one while it is the current version */
	int in_flight = retired ? p->refs : p->refs - 1;
	json_object_object_add(o, "in_flight", json_object_new_int(in_flight > 0 ? in_flight : 0));
	json_object_object_add(o, "retired", json_object_new_boolean(retired));
	json_object_object_add(o, "status", json_object_new_string(retired ? "retired" : "loaded"));
	/* The handlers that run on this plugin and the hosts they send to, in order. */
	for (size_t i = 0; !retired && i < d->cfg->nhandlers; i++) {
		const struct handler_conf *hc = &d->cfg->handlers[i];
		if (plugin_for_handler(&d->plugins, hc) != p)
			continue;
		json_object_array_add(handlers, json_object_new_string(hc->type));
		for (size_t k = 0; k < hc->nhosts; k++) {
			bool seen = false;
			for (size_t j = 0; j < json_object_array_length(hosts); j++)
				seen |= strcmp(json_object_get_string(json_object_array_get_idx(hosts, j)), hc->hosts[k]) == 0;
			if (!seen)
				json_object_array_add(hosts, json_object_new_string(hc->hosts[k]));
		}
	}
	json_object_object_add(o, "handlers", handlers);
	json_object_object_add(o, "hosts", hosts);
	return o;
}

/* Refused files; "status" and "error" as ygg-plugin's own JSON listing spells them. */
static json_object *
plugin_errors_json(struct daemon *d)
{
	json_object *a = json_object_new_array();
	struct plugin_error *pe;

	TAILQ_FOREACH(pe, &d->plugins.errors, entry) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "file", jstr(pe->path));
		json_object_object_add(o, "reason", jstr(pe->reason));
		json_object_object_add(o, "status", json_object_new_string("refused"));
		json_object_object_add(o, "error", jstr(pe->reason));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *
plugins_json(struct daemon *d, bool with_retired)
{
	json_object *a = json_object_new_array();
	struct plugin *p;

	TAILQ_FOREACH(p, &d->plugins.loaded, entry)
		json_object_array_add(a, plugin_json(d, p, false));
	if (with_retired) {
		TAILQ_FOREACH(p, &d->plugins.retired, entry)
			json_object_array_add(a, plugin_json(d, p, true));
	}
	return a;
}

char *
control_plugins_json(struct daemon *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_string(YGG_VERSION));
	json_object_object_add(o, "plugin_dir", jstr(d->cfg->plugin_dir));
	json_object_object_add(o, "plugins", plugins_json(d, true));
	json_object_object_add(o, "refused", plugin_errors_json(d));
	return json_finish(o);
}

char *
control_status_json(struct daemon *d)
{
	json_object *o = json_object_new_object();
	json_object *hosts = json_object_new_array();
	json_object *handlers = json_object_new_array();
	json_object *tasks = json_object_new_array();
	json_object *recent = json_object_new_array();
	struct queue_counts q;
	struct host *h;
	struct task *t;
	int64_t now = now_mono_ns();
	size_t i = 0;
	int slots = 0, busy = 0;

	queue_count(d, &q);
	TAILQ_FOREACH(h, &d->hosts, entry) {
		json_object *ho = json_object_new_object();
		json_object_object_add(ho, "name", jstr(h->name));
		json_object_object_add(ho, "url", jstr(h->conf->url));
		json_object_object_add(ho, "api", jstr(api_kind_name(h->conf->api)));
		json_object_object_add(ho, "model", jstr(h->conf->model));
		json_object_object_add(ho, "slots", json_object_new_int(h->conf->slots));
		json_object_object_add(ho, "in_flight", json_object_new_int(h->in_flight));
		json_object_object_add(ho, "max_in_flight", json_object_new_int(h->max_in_flight));
		json_object_object_add(ho, "healthy", json_object_new_boolean(h->healthy));
		json_object_object_add(ho, "removed", json_object_new_boolean(h->removed));
		json_object_object_add(ho, "last_error", jstr(h->last_error));
		json_object_object_add(ho, "down_since", h->healthy ? NULL : jtime(h->down_since));
		json_object_object_add(ho, "queued", json_object_new_int64((int64_t)q.per_host[i]));
		json_object_object_add(ho, "done", json_object_new_int64((int64_t)h->done));
		json_object_object_add(ho, "failed", json_object_new_int64((int64_t)h->failed));
		json_object_object_add(ho, "retried", json_object_new_int64((int64_t)h->retried));
		json_object_object_add(ho, "busy_s", jnum(host_busy_seconds(h), 1));
		json_object_array_add(hosts, ho);
		if (!h->removed)
			slots += h->conf->slots;
		busy += h->in_flight;
		i++;
	}
	for (i = 0; i < d->cfg->nhandlers; i++) {
		const struct handler_conf *hc = &d->cfg->handlers[i];
		struct plugin *p = plugin_for_handler(&d->plugins, hc);
		json_object *ho = json_object_new_object();
		json_object *hh = json_object_new_array();
		json_object_object_add(ho, "type", jstr(hc->type));
		json_object_object_add(ho, "plugin", jstr(p != NULL ? p->name : hc->plugin));
		json_object_object_add(ho, "version", jstr(p != NULL ? p->version : NULL));
		json_object_object_add(ho, "loaded", json_object_new_boolean(p != NULL));
		json_object_object_add(ho, "default", json_object_new_boolean(hc->is_default));
		for (size_t k = 0; k < hc->nhosts; k++)
			json_object_array_add(hh, json_object_new_string(hc->hosts[k]));
		json_object_object_add(ho, "hosts", hh);
		json_object_object_add(ho, "queued", json_object_new_int64((int64_t)q.per_handler[i]));
		json_object_array_add(handlers, ho);
	}
	TAILQ_FOREACH(t, &d->tasks, entry) {
		json_object *to = json_object_new_object();
		json_object_object_add(to, "id", jstr(t->id));
		json_object_object_add(to, "title", jstr(t->issue != NULL ? t->issue->title : NULL));
		json_object_object_add(to, "priority", json_object_new_int(t->issue != NULL ? t->issue->priority : 2));
		json_object_object_add(to, "host", jstr(t->host != NULL ? t->host->name : NULL));
		json_object_object_add(to, "handler", jstr(t->type));
		json_object_object_add(to, "plugin", jstr(t->plugin != NULL ? t->plugin->name : NULL));
		json_object_object_add(to, "state", jstr(task_state_name(t->state)));
		json_object_object_add(to, "attempt", json_object_new_int(t->attempt));
		json_object_object_add(to, "max_attempts", json_object_new_int(t->max_attempts));
		json_object_object_add(to, "age_s", jnum((double)(now - t->claimed_at) / 1e9, 1));
		json_object_object_add(to, "last_error", jstr(t->last_error));
		json_object_array_add(tasks, to);
	}
	for (i = 0; i < d->stats.nrecent; i++) {
		const struct completion *c =
		    &d->stats.recent[(d->stats.recent_next + STATS_RECENT - 1 - i) % STATS_RECENT];
		json_object *co = json_object_new_object();
		json_object_object_add(co, "id", jstr(c->id));
		json_object_object_add(co, "host", jstr(c->host));
		json_object_object_add(co, "handler", jstr(c->handler));
		json_object_object_add(co, "outcome", jstr(c->outcome));
		json_object_object_add(co, "reason", jstr(c->reason[0] != '\0' ? c->reason : NULL));
		json_object_object_add(co, "seconds", jnum(c->seconds, 2));
		json_object_object_add(co, "when", jtime(c->when));
		json_object_array_add(recent, co);
	}

	json_object_object_add(o, "version", json_object_new_string(YGG_VERSION));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "started", jtime(d->started_wall));
	json_object_object_add(o, "uptime_s", json_object_new_int64((now_wall_ns() - d->started_wall) / 1000000000));
	json_object_object_add(o, "config", jstr(d->cfg->path));
	json_object_object_add(o, "store", jstr(d->store != NULL ? store_name(d->store) : NULL));
	json_object_object_add(o, "tracker", jstr(d->cfg->beads_dir));
	json_object_object_add(o, "stopping", json_object_new_boolean(d->stopping));
	json_object_object_add(o, "ready", json_object_new_int64((int64_t)d->ready_count));
	json_object_object_add(o, "queued", json_object_new_int64((int64_t)d->queued_count));
	json_object_object_add(o, "in_flight", json_object_new_int64((int64_t)d->ntasks));
	json_object_object_add(o, "slots", json_object_new_int(slots));
	json_object_object_add(o, "slots_busy", json_object_new_int(busy));
	json_object_object_add(o, "hosts", hosts);
	json_object_object_add(o, "handlers", handlers);
	json_object_object_add(o, "plugins", plugins_json(d, true));
	json_object_object_add(o, "plugin_errors", plugin_errors_json(d));
	json_object_object_add(o, "tasks", tasks);
	json_object_object_add(o, "recent", recent);
	free(q.per_host);
	free(q.per_handler);
	return json_finish(o);
}

/* ---- answering */

static void
reply(struct evhttp_request *req, int code, const char *reason, const char *type, const char *body, size_t len)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(out, "Content-Type", type);
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	if (b != NULL)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

static void
reply_json(struct evhttp_request *req, int code, const char *reason, char *json)
{
	reply(req, code, reason, "application/json", json, strlen(json));
	free(json);
}

static void
reply_error(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	reply_json(req, code, reason, json_finish(o));
}

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "?";
}

static void
reply_bad_method(struct evhttp_request *req, const char *path, const char *allow)
{
	char *msg = xasprintf("%s %s: use %s", method_name(evhttp_request_get_command(req)), path, allow);

	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	reply_error(req, 405, "Method Not Allowed", msg);
	free(msg);
}

static const char *
peer_name(struct evhttp_request *req, struct control *c)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (c->addr.kind == CONTROL_UNIX || con == NULL)
		return "unix";
	evhttp_connection_get_peer(con, &addr, &port);
	return addr != NULL ? addr : "?";
}

/*
 * May this request change the daemon? Over TCP it must carry the token; the
 * answer when it may not is sent here.
 */
static bool
authorized(struct control *c, struct evhttp_request *req, const char *path)
{
	const char *auth;

	if (c->addr.kind == CONTROL_UNIX)
		return true;
	if (c->token == NULL) {
		log_warnx("control peer=%s POST %s refused: no control_token_file", peer_name(req, c), path);
		reply_error(req, 403, "Forbidden", "set control_token_file to allow this over TCP");
		return false;
	}
	auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		const char *tok = auth + 7;
		while (*tok == ' ')
			tok++;
		if (token_equal(tok, strlen(tok), c->token))
			return true;
	}
	log_warnx("control peer=%s POST %s refused: %s", peer_name(req, c), path,
	    auth == NULL ? "no token" : "wrong token");
	evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer realm=\"yggd\"");
	reply_error(req, 401, "Unauthorized",
	    auth == NULL ? "this needs \"Authorization: Bearer TOKEN\" with the token from control_token_file"
	                 : "wrong token (see control_token_file)");
	return false;
}

static void
serve_cancel(struct control *c, struct evhttp_request *req, const char *id)
{
	char *cause = NULL;

	if (*id == '\0' || strchr(id, '/') != NULL) {
		reply_error(req, 404, "Not Found", "use POST /tasks/ID/cancel");
		return;
	}
	if (daemon_cancel(c->d, id, &cause) == -1) {
		log_info("control peer=%s cancel task=%s refused: %s", peer_name(req, c), id, cause);
		reply_error(req, 404, "Not Found", cause != NULL ? cause : "not in flight");
		free(cause);
		return;
	}
	log_info("control peer=%s task=%s cancelled by the operator", peer_name(req, c), id);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "cancelled", json_object_new_boolean(true));
	json_object_object_add(o, "status", json_object_new_string("open"));
	reply_json(req, 200, "OK", json_finish(o));
}

static void
serve_reload(struct control *c, struct evhttp_request *req)
{
	char *cause = NULL;

	log_info("control peer=%s reload requested", peer_name(req, c));
	if (daemon_reload(c->d, &cause) == -1) {
		reply_error(req, 400, "Bad Request", cause != NULL ? cause : "the configuration was refused");
		free(cause);
		return;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "reloaded", json_object_new_boolean(true));
	json_object_object_add(o, "config", jstr(c->d->cfg->path));
	json_object_object_add(o, "hosts", json_object_new_int64((int64_t)c->d->cfg->nhosts));
	json_object_object_add(o, "handlers", json_object_new_int64((int64_t)c->d->cfg->nhandlers));
	reply_json(req, 200, "OK", json_finish(o));
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct control *c = arg;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	bool get = m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD;
	struct evhttp_uri *uri = evhttp_uri_parse(evhttp_request_get_uri(req));
	const char *raw = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	char *path = evhttp_uridecode(raw != NULL && *raw != '\0' ? raw : "/", 0, NULL);

	if (uri == NULL || path == NULL) {
		reply_error(req, 400, "Bad Request", "unreadable request target");
		goto out;
	}
	if (strcmp(path, "/status") == 0) {
		if (!get)
			reply_bad_method(req, path, "GET");
		else
			reply_json(req, 200, "OK", control_status_json(c->d));
	} else if (strcmp(path, "/metrics") == 0) {
		if (!get) {
			reply_bad_method(req, path, "GET");
		} else {
			struct buf b;
			buf_init(&b);
			metrics_render(c->d, &b);
			reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b.p != NULL ? b.p : "", b.len);
			buf_free(&b);
		}
	} else if (strcmp(path, "/plugins") == 0) {
		if (!get)
			reply_bad_method(req, path, "GET");
		else
			reply_json(req, 200, "OK", control_plugins_json(c->d));
	} else if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
		if (!get) {
			reply_bad_method(req, path, "GET");
		} else {
			size_t len;
			const char *html = page_html(&len);
			/* The page needs nothing from elsewhere; say so to the browser too. */
			evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Security-Policy",
			    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
			    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'");
			reply(req, 200, "OK", "text/html; charset=utf-8", html, len);
		}
	} else if (strcmp(path, "/reload") == 0) {
		if (m != EVHTTP_REQ_POST)
			reply_bad_method(req, path, "POST");
		else if (authorized(c, req, path))
			serve_reload(c, req);
	} else if (strncmp(path, "/tasks/", 7) == 0 && strlen(path) > 7 + 7 &&
	    strcmp(path + strlen(path) - 7, "/cancel") == 0) {
		if (m != EVHTTP_REQ_POST) {
			reply_bad_method(req, path, "POST");
		} else if (authorized(c, req, path)) {
			path[strlen(path) - 7] = '\0';
			serve_cancel(c, req, path + 7);
		}
	} else {
		char *msg = xasprintf("no such endpoint: %s (try /status, /metrics, /plugins, / , "
		                      "POST /tasks/ID/cancel, POST /reload)",
		    path);
		reply_error(req, 404, "Not Found", msg);
		free(msg);
	}
out:
	free(path);
	if (uri != NULL)
		evhttp_uri_free(uri);
}

/* ---- listening */

static int
listen_tcp(struct control *c, const char *spec, char **cause)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, on = 1;

	memset(&ss, 0, sizeof ss);
	if (strchr(c->addr.host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)c->addr.port);
		inet_pton(AF_INET6, c->addr.host, &s6->sin6_addr);
		sslen = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)c->addr.port);
		inet_pton(AF_INET, c->addr.host, &s4->sin_addr);
		sslen = sizeof *s4;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*cause = xasprintf("control = %s: cannot create a socket: %s", spec, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1 || listen(fd, CONTROL_BACKLOG) == -1) {
		*cause = xasprintf("control = %s: cannot listen there: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	sslen = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
		int port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                                           : ((struct sockaddr_in *)&ss)->sin_port);
		c->address = ss.ss_family == AF_INET6 ? xasprintf("[%s]:%d", c->addr.host, port)
		                                       : xasprintf("%s:%d", c->addr.host, port);
	} else {
		c->address = xstrdup(spec);
	}
	return fd;
}

/*
 * A socket file left by a daemon that died is removed; one that somebody still
 * answers on, or a path that is not a socket, is left alone and refused.
 */
static int
clear_stale_socket(const char *path, const char *spec, char **cause)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		*cause = xasprintf("control = %s: %s: %s", spec, path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*cause = xasprintf("control = %s: %s exists and is not a socket; not touching it", spec, path);
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*cause = xasprintf("control = %s: cannot create a socket: %s", spec, strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (rc == 0) {
		*cause = xasprintf("control = %s: another process (another yggd?) answers on %s", spec, path);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		*cause = xasprintf("control = %s: cannot remove the stale socket %s: %s", spec, path, strerror(errno));
		return -1;
	}
	log_info("control socket=%s removed: stale (nobody answered on it)", path);
	return 0;
}

static int
listen_unix(struct control *c, const char *spec, char **cause)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	if (clear_stale_socket(c->addr.path, spec, cause) == -1)
		return -1;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, c->addr.path, strlen(c->addr.path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*cause = xasprintf("control = %s: cannot create a socket: %s", spec, strerror(errno));
		return -1;
	}
	/*
	 * The file must never exist with a looser mode, not even for a moment: on
	 * Linux bind creates it from the socket's own mode less the umask.
	 */
	fchmod(fd, 0600);
	old = umask(077);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	int err = errno;
	umask(old);
	if (rc == -1) {
		*cause = xasprintf("control = %s: cannot bind %s: %s", spec, c->addr.path, strerror(err));
		close(fd);
		return -1;
	}
	c->unix_created = true;
	if (chmod(c->addr.path, 0600) == -1 || lstat(c->addr.path, &st) == -1) {
		*cause = xasprintf("control = %s: cannot chmod 600 %s: %s", spec, c->addr.path, strerror(errno));
		close(fd);
		return -1;
	}
	c->sock_dev = st.st_dev;
	c->sock_ino = st.st_ino;
	if (listen(fd, CONTROL_BACKLOG) == -1) {
		*cause = xasprintf("control = %s: cannot listen on %s: %s", spec, c->addr.path, strerror(errno));
		close(fd);
		return -1;
	}
	c->address = xasprintf("unix:%s", c->addr.path);
	return fd;
}

static void
load_token(struct control *c, const char *file, bool at_start, char **cause)
{
	char *tok = NULL, *why = NULL;

	if (file == NULL) {
		if (c->token != NULL && !at_start)
			log_info("control: control_token_file removed from the configuration: POST over TCP is "
			         "refused from now on");
		free(c->token_file);
		c->token_file = NULL;
		if (c->token != NULL)
			explicit_bzero(c->token, strlen(c->token));
		free(c->token);
		c->token = NULL;
		return;
	}
	if (control_token_read(file, &tok, &why) == -1) {
		if (at_start) {
			*cause = why;
			return;
		}
		log_warnx("control reload: %s; keeping the token read before", why);
		free(why);
		return;
	}
	if (c->token != NULL)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	c->token = tok;
	free(c->token_file);
	c->token_file = xstrdup(file);
}

struct control *
control_new(struct daemon *d, char **cause)
{
	struct control *c = xcalloc(1, sizeof *c);
	const char *spec = d->cfg->control != NULL ? d->cfg->control : "off";
	int fd = -1;

	c->d = d;
	*cause = NULL;
	if (control_addr_parse(spec, &c->addr, cause) == -1)
		goto fail;
	if (c->addr.kind == CONTROL_OFF) {
		c->address = xstrdup("off");
		return c;
	}
	if (c->addr.kind == CONTROL_TCP) {
		load_token(c, d->cfg->control_token_file, true, cause);
		if (*cause != NULL)
			goto fail;
	}
	fd = c->addr.kind == CONTROL_TCP ? listen_tcp(c, spec, cause) : listen_unix(c, spec, cause);
	if (fd == -1)
		goto fail;
	c->http = evhttp_new(d->base);
	if (c->http == NULL) {
		*cause = xasprintf("control = %s: cannot create the HTTP server", spec);
		close(fd);
		goto fail;
	}
	evhttp_set_allowed_methods(c->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(c->http, CONTROL_TIMEOUT);
	evhttp_set_max_body_size(c->http, CONTROL_MAX_BODY);
	evhttp_set_max_headers_size(c->http, CONTROL_MAX_HEADERS);
	evhttp_set_gencb(c->http, request_cb, c);
	if (evhttp_accept_socket_with_handle(c->http, fd) == NULL) {
		*cause = xasprintf("control = %s: cannot accept connections", spec);
		close(fd);
		goto fail;
	}
	log_info("control=%s listening%s", c->address,
	    c->addr.kind == CONTROL_UNIX ? " (mode 0600)"
	    : c->token != NULL           ? " (POST needs the token)"
	                                 : " (read-only: no control_token_file)");
	return c;
fail:
	control_free(c);
	return NULL;
}

void
control_free(struct control *c)
{
	struct stat st;

	if (c == NULL)
		return;
	if (c->http != NULL)
		evhttp_free(c->http); /* closes the listening socket */
	/* Remove the socket file only when it is still the one we made. */
	if (c->unix_created && lstat(c->addr.path, &st) == 0 && st.st_dev == c->sock_dev &&
	    st.st_ino == c->sock_ino)
		unlink(c->addr.path);
	if (c->token != NULL)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	free(c->token_file);
	free(c->address);
	control_addr_clear(&c->addr);
	free(c);
}

void
control_reload(struct control *c)
{
	const struct ygg_config *cfg;

	if (c == NULL)
		return;
	cfg = c->d->cfg;
	/* The socket stays where it is: moving it under running clients is a restart's job. */
	struct control_addr a;
	char *why = NULL;
	bool same = false;
	if (control_addr_parse(cfg->control, &a, &why) == 0) {
		same = a.kind == c->addr.kind &&
		    (a.kind == CONTROL_OFF || (a.kind == CONTROL_UNIX && strcmp(a.path, c->addr.path) == 0) ||
		        (a.kind == CONTROL_TCP && strcmp(a.host, c->addr.host) == 0 &&
		            (a.port == c->addr.port || c->addr.port == 0)));
		control_addr_clear(&a);
	}
	free(why);
	if (!same)
		log_warnx("control reload: control = %s takes a restart; still on %s",
		    cfg->control != NULL ? cfg->control : "off", control_address(c));
	if (c->addr.kind == CONTROL_TCP) {
		char *cause = NULL;
		load_token(c, cfg->control_token_file, false, &cause);
		free(cause);
	}
}

const char *
control_address(const struct control *c)
{
	return c != NULL && c->address != NULL ? c->address : "off";
}
