/*
 * ctl.c - the client side of the control API: yggctl status, monitor, cancel and
 * reload, and the request ygg-plugin list makes. One blocking libcurl easy
 * request per call, over TCP or the daemon's unix socket
 * (CURLOPT_UNIX_SOCKET_PATH); these are short-lived programs, not the daemon.
 *
 * The daemon is found through the configuration (-c FILE: control and
 * control_token_file, the way the daemon reads them) or named outright with
 * --control ADDR [--token-file F].
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "ygg.h"

#define CTL_CONNECT_TIMEOUT 3L
#define CTL_TIMEOUT 15L
#define CTL_MAX_BODY (32 * 1024 * 1024)

/* ---- reaching the daemon */

void
ctl_target_clear(struct ctl_target *t)
{
	if (t == NULL)
		return;
	free(t->addr);
	if (t->token != NULL)
		explicit_bzero(t->token, strlen(t->token));
	free(t->token);
	free(t->token_error);
	free(t->config_path);
	memset(t, 0, sizeof *t);
}

static void
target_set_token_file(struct ctl_target *t, const char *file)
{
	char *cause = NULL;

	if (t->token != NULL)
		explicit_bzero(t->token, strlen(t->token));
	free(t->token);
	free(t->token_error);
	t->token = NULL;
	t->token_error = NULL;
	if (file != NULL && control_token_read(file, &t->token, &cause) == -1)
		t->token_error = cause;
}

void
ctl_target_from_config(struct ctl_target *t, const struct ygg_config *cfg)
{
	memset(t, 0, sizeof *t);
	t->addr = xstrdup(cfg->control != NULL ? cfg->control : "off");
	t->config_path = cfg->path != NULL ? xstrdup(cfg->path) : NULL;
	/* A unix socket needs no token: do not complain about a file we would not use. */
	if (strncmp(t->addr, "unix:", 5) != 0)
		target_set_token_file(t, cfg->control_token_file);
}

static char *
no_answer(const struct ctl_target *t, const char *detail)
{
	if (t->defaulted)
		return xasprintf("no yggd answers at %s (is it running? %s does not exist, so the default "
		                 "address was tried; give -c FILE or --control ADDR)%s%s",
		    t->addr, YGG_DEFAULT_CONFIG, detail != NULL ? ": " : "", detail != NULL ? detail : "");
	if (t->config_path != NULL)
		return xasprintf("no yggd answers at %s (is it running? control = %s in %s)%s%s", t->addr, t->addr,
		    t->config_path, detail != NULL ? ": " : "", detail != NULL ? detail : "");
	return xasprintf("no yggd answers at %s (is it running? given as --control %s)%s%s", t->addr, t->addr,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

struct body {
	struct buf b;
	bool too_big;
};

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *body = arg;
	size_t n = size * nmemb;

	if (body->b.len + n > CTL_MAX_BODY) {
		body->too_big = true;
		return 0;
	}
	buf_add(&body->b, ptr, n);
	return n;
}

int
ctl_request(const struct ctl_target *t, const char *method, const char *path, char **out, long *status,
    char **cause)
{
	struct control_addr a;
	struct curl_slist *hdr = NULL;
	struct body body;
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url, *why = NULL, *auth = NULL;
	CURL *c;
	CURLcode rc;

	*out = NULL;
	*status = 0;
	if (control_addr_parse(t->addr, &a, &why) == -1) {
		*cause = why;
		return -1;
	}
	if (a.kind == CONTROL_OFF) {
		*cause = t->config_path != NULL
		    ? xasprintf("control = off in %s: the daemon has no control endpoint", t->config_path)
		    : xstrdup("control = off: there is no control endpoint to ask");
		return -1;
	}
	if (a.kind == CONTROL_UNIX)
		url = xasprintf("http://localhost%s", path);
	else if (strchr(a.host, ':') != NULL)
		url = xasprintf("http://[%s]:%d%s", a.host, a.port, path);
	else
		url = xasprintf("http://%s:%d%s", a.host, a.port, path);

	c = curl_easy_init();
	if (c == NULL) {
		*cause = xstrdup("cannot set up libcurl");
		free(url);
		control_addr_clear(&a);
		return -1;
	}
	buf_init(&body.b);
	body.too_big = false;
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (a.kind == CONTROL_UNIX)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, a.path);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*"); /* the daemon is local; a proxy would not reach it */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CTL_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, CTL_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "yggctl/" YGG_VERSION);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if (t->token != NULL && a.kind == CONTROL_TCP) {
		auth = xasprintf("Authorization: Bearer %s", t->token);
		hdr = curl_slist_append(hdr, auth);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		*out = buf_steal(&body.b);
	} else if (body.too_big) {
		*cause = xasprintf("the answer from %s was larger than %d bytes", t->addr, CTL_MAX_BODY);
	} else {
		*cause = no_answer(t, *errbuf != '\0' ? errbuf : curl_easy_strerror(rc));
	}
	curl_slist_free_all(hdr);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	curl_easy_cleanup(c);
	buf_free(&body.b);
	free(url);
	control_addr_clear(&a);
	return rc == CURLE_OK ? 0 : -1;
}

/* ---- JSON getters that never fail: a missing field reads as empty or zero */

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *
jstr(json_object *o, const char *key, const char *dflt)
{
	json_object *v = jget(o, key);

	if (v == NULL || json_object_is_type(v, json_type_null))
		return dflt;
	return json_object_get_string(v);
}

static int64_t
jint(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL ? json_object_get_int64(v) : 0;
}

static double
jdbl(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL ? json_object_get_double(v) : 0;
}

static bool
jbool(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL && json_object_get_boolean(v);
}

static size_t
jlen(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
}

static json_object *
jidx(json_object *o, const char *key, size_t i)
{
	return json_object_array_get_idx(jget(o, key), i);
}

/* The "error" of an error answer, or the body itself. */
static char *
error_text(const char *body)
{
	json_object *o = json_tokener_parse(body);
	char *s;

	if (o != NULL && jstr(o, "error", NULL) != NULL)
		s = xstrdup(jstr(o, "error", ""));
	else
		s = xstrdup(body != NULL && *body != '\0' ? body : "no reason given");
	json_object_put(o);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* ---- text layout */

static bool utf8_out; /* the terminal takes UTF-8: bars and ellipses as such */

/* Columns a UTF-8 string takes (one per code point: good enough for names and titles). */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* The first max columns of s, with an ellipsis when it was longer. New string. */
static char *
clip(const char *s, size_t max)
{
	struct buf b;
	size_t w = 0;

	if (text_width(s) <= max)
		return xstrdup(s);
	buf_init(&b);
	for (const char *p = s; *p != '\0'; p++) {
		bool lead = ((unsigned char)*p & 0xc0) != 0x80;
		if (lead && ++w > (max > 0 ? max - 1 : 0))
			break;
		/* control characters from the tracker must not reach the terminal */
		buf_addc(&b, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
	}
	if (max > 0)
		buf_adds(&b, utf8_out ? "\xe2\x80\xa6" : "~");
	return buf_steal(&b);
}

/* Like clip but also for short strings: replaces control characters. */
static char *
clean(const char *s, size_t max)
{
	char *c = clip(s, max);

	for (char *p = c; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return c;
}

#define TBL_MAX_COLS 12
struct table {
	size_t ncols;
	const char *head[TBL_MAX_COLS];
	bool right[TBL_MAX_COLS];
	char **cells; /* rows * ncols, owned */
	size_t nrows;
};

static void
table_init(struct table *t, const char *spec)
{
	char **names = NULL;
	size_t n = split_list(spec, &names);

	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < n && i < TBL_MAX_COLS; i++) {
		/* a leading '>' right-aligns the column (numbers) */
		t->right[i] = names[i][0] == '>';
		t->head[i] = xstrdup(names[i] + t->right[i]);
		t->ncols++;
	}
	free_list(names);
}

/* Add a row: ncols cells, each taken over (new strings). */
static void
table_row(struct table *t, ...)
{
	va_list ap;

	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof *t->cells);
	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = va_arg(ap, char *);
	va_end(ap);
	t->nrows++;
}

/*
 * Columns padded to their widest cell, two spaces apart; a column whose cells
 * are all empty (no errors to show) is left out; no trailing blanks.
 */
static void
table_print(struct table *t, struct buf *out)
{
	size_t w[TBL_MAX_COLS] = { 0 };
	bool shown[TBL_MAX_COLS];

	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = text_width(t->head[c]);
		shown[c] = false;
		for (size_t r = 0; r < t->nrows; r++) {
			const char *cell = t->cells[r * t->ncols + c];
			size_t cw = text_width(cell);
			if (cw > w[c])
				w[c] = cw;
			shown[c] |= *cell != '\0';
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		struct buf line;
		buf_init(&line);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = r == 0 ? t->head[c] : t->cells[(r - 1) * t->ncols + c];
			size_t pad = w[c] - text_width(s);
			if (!shown[c])
				continue;
			if (line.len > 0)
				buf_adds(&line, "  ");
			if (t->right[c])
				buf_printf(&line, "%*s", (int)pad, "");
			buf_adds(&line, s);
			if (!t->right[c])
				buf_printf(&line, "%*s", (int)pad, "");
		}
		while (line.len > 0 && line.p[line.len - 1] == ' ')
			line.p[--line.len] = '\0';
		buf_addc(&line, '\n');
		buf_add(out, line.p, line.len);
		buf_free(&line);
	}
}

static void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->ncols; i++)
		free((char *)t->head[i]);
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

static char *
fmt_dur(double s)
{
	long v = s < 0 ? 0 : (long)(s + 0.5);

	if (v < 60)
		return xasprintf("%lds", v);
	if (v < 3600)
		return xasprintf("%ldm%02lds", v / 60, v % 60);
	if (v < 86400)
		return xasprintf("%ldh%02ldm", v / 3600, v % 3600 / 60);
	return xasprintf("%ldd%02ldh", v / 86400, v % 86400 / 3600);
}

static char *
fmt_ago(const char *iso)
{
	int64_t ns;

	if (iso == NULL || time_parse(iso, strlen(iso), &ns) == -1)
		return xstrdup("-");
	char *d = fmt_dur((double)(now_wall_ns() - ns) / 1e9);
	char *s = xasprintf("%s ago", d);
	free(d);
	return s;
}

/* "[##--] 2/4" in ASCII, or with block characters on a UTF-8 terminal. */
static char *
slot_bar(int in_flight, int slots, bool unicode)
{
	struct buf b;
	int n = slots > in_flight ? slots : in_flight;

	buf_init(&b);
	if (n > 24)
		n = 24; /* a host with many slots still fits on a line; the numbers say the rest */
	buf_adds(&b, unicode ? "" : "[");
	for (int i = 0; i < n; i++) {
		bool busy = slots <= 24 ? i < in_flight : i < (in_flight * 24 + slots - 1) / slots;
		buf_adds(&b, unicode ? (busy ? "\xe2\x96\x88" : "\xe2\x96\x91") : (busy ? "#" : "-"));
	}
	buf_printf(&b, "%s %d/%d", unicode ? "" : "]", in_flight, slots);
	return buf_steal(&b);
}

static char *
num(int64_t v)
{
	return xasprintf("%lld", (long long)v);
}

/* ---- status */

struct view_opts {
	bool unicode;   /* block characters for bars */
	size_t width;   /* terminal columns, 0: no limit */
	size_t max_recent;
	bool plugins;   /* list plugins and refusals */
};

static void
render_hosts(json_object *s, struct buf *out, const struct view_opts *vo)
{
	struct table t;

	table_init(&t, "HOST, UP, SLOTS, >QUEUED, >DONE, >FAILED, >RETRIED, >BUSY, MODEL, LAST ERROR");
	for (size_t i = 0; i < jlen(s, "hosts"); i++) {
		json_object *h = jidx(s, "hosts", i);
		bool healthy = jbool(h, "healthy");
		const char *err = jstr(h, "last_error", "-");
		table_row(&t, clean(jstr(h, "name", "?"), 32),
		    xstrdup(jbool(h, "removed") ? "removed" : healthy ? "yes" : "DOWN"),
		    slot_bar((int)jint(h, "in_flight"), (int)jint(h, "slots"), vo->unicode), num(jint(h, "queued")),
		    num(jint(h, "done")), num(jint(h, "failed")), num(jint(h, "retried")), fmt_dur(jdbl(h, "busy_s")),
		    clean(jstr(h, "model", "-"), 28), clean(err, vo->width > 0 ? 50 : 120));
	}
	if (t.nrows == 0)
		buf_adds(out, "no hosts configured\n");
	else
		table_print(&t, out);
	table_free(&t);
}

static void
render_tasks(json_object *s, struct buf *out, const struct view_opts *vo)
{
	struct table t;
	size_t n = jlen(s, "tasks");

	buf_printf(out, "\nIN FLIGHT (%zu)\n", n);
	if (n == 0) {
		buf_adds(out, "nothing in flight\n");
		return;
	}
	table_init(&t, "TASK, HANDLER, HOST, STATE, >TRY, >AGE, TITLE, LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		json_object *k = jidx(s, "tasks", i);
		table_row(&t, clean(jstr(k, "id", "?"), 40), clean(jstr(k, "handler", "-"), 24),
		    clean(jstr(k, "host", "-"), 32), xstrdup(jstr(k, "state", "?")),
		    xasprintf("%lld/%lld", (long long)jint(k, "attempt"), (long long)jint(k, "max_attempts")),
		    fmt_dur(jdbl(k, "age_s")), clean(jstr(k, "title", ""), 40),
		    clean(jstr(k, "last_error", ""), vo->width > 0 ? 40 : 120));
	}
	table_print(&t, out);
	table_free(&t);
}

static void
render_recent(json_object *s, struct buf *out, const struct view_opts *vo)
{
	struct table t;
	size_t n = jlen(s, "recent");

	if (vo->max_recent > 0 && n > vo->max_recent)
		n = vo->max_recent;
	buf_printf(out, "\nRECENT (newest first)\n");
	if (n == 0) {
		buf_adds(out, "no task finished yet\n");
		return;
	}
	table_init(&t, "WHEN, TASK, HANDLER, HOST, OUTCOME, >SECONDS, REASON");
	for (size_t i = 0; i < n; i++) {
		json_object *r = jidx(s, "recent", i);
		table_row(&t, fmt_ago(jstr(r, "when", NULL)), clean(jstr(r, "id", "?"), 40),
		    clean(jstr(r, "handler", "-"), 24), clean(jstr(r, "host", "-"), 32),
		    xstrdup(jstr(r, "outcome", "?")), xasprintf("%.1f", jdbl(r, "seconds")),
		    clean(jstr(r, "reason", ""), vo->width > 0 ? 50 : 160));
	}
	table_print(&t, out);
	table_free(&t);
}

static void
render_plugins(json_object *s, const char *key, const char *errkey, struct buf *out)
{
	struct table t;
	size_t n = jlen(s, key);

	buf_adds(out, "\nPLUGINS\n");
	if (n == 0) {
		buf_adds(out, "no plugins loaded\n");
	} else {
		table_init(&t, "NAME, VERSION, TYPES, HOSTS, >IN FLIGHT, FILE");
		for (size_t i = 0; i < n; i++) {
			json_object *p = jidx(s, key, i);
			struct buf types, hosts;
			buf_init(&types);
			buf_init(&hosts);
			for (size_t k = 0; k < jlen(p, "types"); k++)
				buf_printf(&types, "%s%s", k ? "," : "", json_object_get_string(jidx(p, "types", k)));
			for (size_t k = 0; k < jlen(p, "hosts"); k++)
				buf_printf(&hosts, "%s%s", k ? "," : "", json_object_get_string(jidx(p, "hosts", k)));
			table_row(&t,
			    jbool(p, "retired") ? xasprintf("%.64s (retired)", jstr(p, "name", "?")) : clean(jstr(p, "name", "?"), 64),
			    clean(jstr(p, "version", "?"), 24), clean(types.p != NULL ? types.p : "-", 60),
			    clean(hosts.p != NULL ? hosts.p : "-", 60), num(jint(p, "in_flight")), clean(jstr(p, "file", "-"), 200));
			buf_free(&types);
			buf_free(&hosts);
		}
		table_print(&t, out);
		table_free(&t);
	}
	n = jlen(s, errkey);
	for (size_t i = 0; i < n; i++) {
		json_object *e = jidx(s, errkey, i);
		char *f = clean(jstr(e, "file", "?"), 200), *r = clean(jstr(e, "reason", "?"), 400);
		buf_printf(out, "refused %s: %s\n", f, r);
		free(f);
		free(r);
	}
}

static void
render_status(json_object *s, struct buf *out, const struct view_opts *vo)
{
	char *up = fmt_dur(jdbl(s, "uptime_s"));
	size_t done = 0, failed = 0;

	for (size_t i = 0; i < jlen(s, "hosts"); i++) {
		done += (size_t)jint(jidx(s, "hosts", i), "done");
		failed += (size_t)jint(jidx(s, "hosts", i), "failed");
	}
	buf_printf(out, "yggd %s, up %s, pid %lld, store %s, tracker %s%s\n", jstr(s, "version", "?"), up,
	    (long long)jint(s, "pid"), jstr(s, "store", "?"), jstr(s, "tracker", "?"),
	    jbool(s, "stopping") ? ", STOPPING" : "");
	buf_printf(out, "ready %lld   queued %lld   in flight %lld   slots busy %lld/%lld   closed %zu   blocked %zu\n\n",
	    (long long)jint(s, "ready"), (long long)jint(s, "queued"), (long long)jint(s, "in_flight"),
	    (long long)jint(s, "slots_busy"), (long long)jint(s, "slots"), done, failed);
	free(up);
	render_hosts(s, out, vo);
	render_tasks(s, out, vo);
	render_recent(s, out, vo);
	if (vo->plugins)
		render_plugins(s, "plugins", "plugin_errors", out);
}

/* ---- options shared by the subcommands */

struct ctl_opts {
	const char *config;
	const char *control;
	const char *token_file;
	bool once;
	bool json;
};

static void
usage(FILE *f, const char *cmd)
{
	if (strcmp(cmd, "status") == 0)
		fprintf(f, "usage: yggctl status [-c FILE | --control ADDR] [--json]\n"
		           "  a table of hosts (slots, queue, counters), tasks in flight, recent results, plugins\n");
	else if (strcmp(cmd, "monitor") == 0)
		fprintf(f, "usage: yggctl monitor [-c FILE | --control ADDR] [--once]\n"
		           "  a live view, redrawn every second until ^C; --once prints one frame\n");
	else if (strcmp(cmd, "cancel") == 0)
		fprintf(f, "usage: yggctl cancel [-c FILE | --control ADDR] [--token-file F] ID\n"
		           "  abort the task ID in flight; its issue goes back to open\n");
	else
		fprintf(f, "usage: yggctl reload [-c FILE | --control ADDR] [--token-file F]\n"
		           "  the daemon re-reads its configuration (as SIGHUP does)\n");
	fprintf(f, "  -c FILE           the daemon's configuration (default %s): control and\n"
	           "                    control_token_file come from it\n"
	           "  --control ADDR    IP:PORT, [IPv6]:PORT or unix:PATH instead\n"
	           "  --token-file F    the bearer token for changes over TCP (default: control_token_file)\n",
	    YGG_DEFAULT_CONFIG);
}

/* Parse argv; returns -1 after a usage message (exit 2), else the index of the first operand. */
static int
parse_opts(int argc, char **argv, struct ctl_opts *o, bool allow_once, bool allow_json)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "once", no_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof *o);
	optind = 0; /* GNU: start over; the subcommand's argv is a new vector */
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'C':
			o->control = optarg;
			break;
		case 'T':
			o->token_file = optarg;
			break;
		case 'O':
			if (!allow_once)
				goto bad;
			o->once = true;
			break;
		case 'J':
			if (!allow_json)
				goto bad;
			o->json = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			goto bad;
		}
	}
	return optind;
bad:
	usage(stderr, argv[0]);
	return -1;
}

/*
 * Find the daemon: --control wins; else the configuration (-c, or the default
 * file; a default file that does not exist means the default address). Returns
 * 0, or 2 after printing why.
 */
static int
resolve_target(const struct ctl_opts *o, struct ctl_target *t)
{
	struct ygg_config *cfg = NULL;
	char *cause = NULL;

	memset(t, 0, sizeof *t);
	if (o->control != NULL) {
		t->addr = xstrdup(o->control);
	} else {
		const char *path = o->config != NULL ? o->config : YGG_DEFAULT_CONFIG;
		if (o->config == NULL && access(path, F_OK) == -1 && errno == ENOENT) {
			t->addr = xstrdup("127.0.0.1:7411");
			t->defaulted = true;
		} else if (config_load(path, &cfg, &cause) == -1) {
			fprintf(stderr, "yggctl: %s\n", cause);
			free(cause);
			return 2;
		} else {
			ctl_target_from_config(t, cfg);
			config_free(cfg);
		}
	}
	if (o->token_file != NULL)
		target_set_token_file(t, o->token_file);
	struct control_addr a;
	if (control_addr_parse(t->addr, &a, &cause) == -1) {
		fprintf(stderr, "yggctl: %s\n", cause);
		free(cause);
		ctl_target_clear(t);
		return 2;
	}
	control_addr_clear(&a);
	return 0;
}

/* GET path as parsed JSON; NULL after printing why. */
static json_object *
get_json(const struct ctl_target *t, const char *path, char **raw)
{
	char *body = NULL, *cause = NULL;
	long status;
	json_object *o;

	if (ctl_request(t, "GET", path, &body, &status, &cause) == -1) {
		fprintf(stderr, "yggctl: %s\n", cause);
		free(cause);
		return NULL;
	}
	if (status != 200) {
		char *e = error_text(body);
		fprintf(stderr, "yggctl: %s answered %s with HTTP %ld: %s\n", t->addr, path, status, e);
		free(e);
		free(body);
		return NULL;
	}
	o = json_tokener_parse(body);
	if (o == NULL)
		fprintf(stderr, "yggctl: %s answered %s with something that is not JSON\n", t->addr, path);
	if (raw != NULL && o != NULL)
		*raw = body;
	else
		free(body);
	return o;
}

static void
setup_locale(void)
{
	setlocale(LC_CTYPE, "");
	const char *cs = nl_langinfo(CODESET);
	utf8_out = cs != NULL && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

int
ctl_status(int argc, char **argv)
{
	struct ctl_opts o;
	struct ctl_target t;
	struct view_opts vo = { .unicode = false, .width = 0, .max_recent = 0, .plugins = true };
	char *raw = NULL;
	json_object *s;
	int rc, i;

	if ((i = parse_opts(argc, argv, &o, false, true)) == -1)
		return 2;
	if (i != argc) {
		usage(stderr, "status");
		return 2;
	}
	if ((rc = resolve_target(&o, &t)) != 0)
		return rc;
	setup_locale();
	s = get_json(&t, "/status", &raw);
	if (s == NULL) {
		ctl_target_clear(&t);
		return 1;
	}
	if (o.json) {
		printf("%s\n", raw);
	} else {
		struct buf out;
		buf_init(&out);
		render_status(s, &out, &vo);
		fwrite(out.p, 1, out.len, stdout);
		buf_free(&out);
	}
	free(raw);
	json_object_put(s);
	ctl_target_clear(&t);
	return 0;
}

/* ---- monitor */

static volatile sig_atomic_t monitor_stop;

static void
monitor_signal(int sig)
{
	(void)sig;
	monitor_stop = 1;
}

/* Cut each line of text to width columns (a wrapped line would break the redraw). */
static void
fit_lines(const char *text, size_t width, size_t height, bool ansi, struct buf *out)
{
	size_t row = 0;

	for (const char *p = text; *p != '\0' && (height == 0 || row < height); row++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len);
		if (width > 0 && text_width(line) > width) {
			char *c = clip(line, width);
			free(line);
			line = c;
		}
		buf_adds(out, line);
		buf_adds(out, ansi ? "\033[K\n" : "\n");
		free(line);
		p = nl != NULL ? nl + 1 : p + len;
	}
}

int
ctl_monitor(int argc, char **argv)
{
	struct ctl_opts o;
	struct ctl_target t;
	struct sigaction sa;
	bool tty, first = true;
	int64_t last_ok = 0;
	int rc, i;

	if ((i = parse_opts(argc, argv, &o, true, false)) == -1)
		return 2;
	if (i != argc) {
		usage(stderr, "monitor");
		return 2;
	}
	if ((rc = resolve_target(&o, &t)) != 0)
		return rc;
	setup_locale();
	tty = !o.once && isatty(STDOUT_FILENO);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = monitor_signal; /* no SA_RESTART: the sleep below ends at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	while (!monitor_stop) {
		struct view_opts vo = { .unicode = utf8_out, .width = 0, .max_recent = 10, .plugins = false };
		struct winsize ws;
		struct buf frame, out;
		char *body = NULL, *cause = NULL;
		long status = 0;
		json_object *s = NULL;
		size_t height = 0;

		if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
			vo.width = ws.ws_col;
			height = ws.ws_row > 1 ? ws.ws_row - 1 : 0;
		}
		buf_init(&frame);
		buf_init(&out);
		if (ctl_request(&t, "GET", "/status", &body, &status, &cause) == 0 && status == 200)
			s = json_tokener_parse(body);
		if (s == NULL && first) {
			/* Nothing to watch: say so the way status does and stop. */
			if (cause != NULL)
				fprintf(stderr, "yggctl: %s\n", cause);
			else
				fprintf(stderr, "yggctl: %s answered /status with HTTP %ld\n", t.addr, status);
			free(cause);
			free(body);
			buf_free(&frame);
			buf_free(&out);
			ctl_target_clear(&t);
			return 1;
		}
		if (first && tty)
			fputs("\033[?1049h\033[?25l", stdout); /* alternate screen, no cursor */
		first = false;
		char clock[16];
		time_t now = time(NULL);
		strftime(clock, sizeof clock, "%H:%M:%S", localtime(&now));
		if (s != NULL) {
			last_ok = now_mono_ns();
			buf_printf(&frame, "yggctl monitor - %s - %s%s\n", t.addr, clock, tty ? " - ^C to quit" : "");
			render_status(s, &frame, &vo);
		} else {
			char *since = fmt_dur((double)(now_mono_ns() - last_ok) / 1e9);
			buf_printf(&frame, "yggctl monitor - %s - %s\n\nyggd is not answering (%s) for %s; trying again every second\n",
			    t.addr, clock, cause != NULL ? cause : "bad answer", since);
			free(since);
		}
		if (tty)
			buf_adds(&out, "\033[H");
		fit_lines(frame.p != NULL ? frame.p : "", vo.width, height, tty, &out);
		if (tty)
			buf_adds(&out, "\033[J");
		fwrite(out.p, 1, out.len, stdout);
		fflush(stdout);
		json_object_put(s);
		free(body);
		free(cause);
		buf_free(&frame);
		buf_free(&out);
		if (o.once)
			break;
		if (!tty)
			putchar('\n');
		struct timespec ts = { 1, 0 };
		nanosleep(&ts, NULL);
	}
	if (tty)
		fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	ctl_target_clear(&t);
	return 0;
}

/* ---- changes: cancel, reload */

static int
post(const struct ctl_opts *o, const char *path, const char *what, char **body_out)
{
	struct ctl_target t;
	char *body = NULL, *cause = NULL;
	long status;
	int rc;

	if ((rc = resolve_target(o, &t)) != 0)
		return rc;
	if (ctl_request(&t, "POST", path, &body, &status, &cause) == -1) {
		fprintf(stderr, "yggctl: %s\n", cause);
		free(cause);
		ctl_target_clear(&t);
		return 1;
	}
	rc = 0;
	if (status != 200) {
		char *e = error_text(body);
		if (status == 401 || status == 403) {
			fprintf(stderr, "yggctl: %s refused to %s: %s\n", t.addr, what, e);
			if (t.token_error != NULL)
				fprintf(stderr, "yggctl: (no token sent: %s)\n", t.token_error);
			else if (t.token == NULL)
				fprintf(stderr, "yggctl: (no token sent: set control_token_file in the configuration, "
				                "or give --token-file, or use a unix: control socket)\n");
		} else {
			fprintf(stderr, "yggctl: %s\n", e);
		}
		free(e);
		rc = 1;
	}
	if (rc == 0 && body_out != NULL)
		*body_out = body;
	else
		free(body);
	ctl_target_clear(&t);
	return rc;
}

int
ctl_cancel(int argc, char **argv)
{
	struct ctl_opts o;
	char *body = NULL, *esc, *path;
	int rc, i;

	if ((i = parse_opts(argc, argv, &o, false, false)) == -1)
		return 2;
	if (argc - i != 1 || *argv[i] == '\0') {
		usage(stderr, "cancel");
		return 2;
	}
	esc = curl_easy_escape(NULL, argv[i], 0);
	path = xasprintf("/tasks/%s/cancel", esc);
	curl_free(esc);
	rc = post(&o, path, "cancel", &body);
	if (rc == 0)
		printf("yggctl: task %s cancelled: the request was aborted and the issue is open again\n", argv[i]);
	free(body);
	free(path);
	return rc;
}

int
ctl_reload(int argc, char **argv)
{
	struct ctl_opts o;
	char *body = NULL;
	int rc, i;

	if ((i = parse_opts(argc, argv, &o, false, false)) == -1)
		return 2;
	if (i != argc) {
		usage(stderr, "reload");
		return 2;
	}
	rc = post(&o, "/reload", "reload", &body);
	if (rc == 0) {
		json_object *r = json_tokener_parse(body);
		printf("yggctl: reloaded %s: %lld hosts, %lld handlers\n", jstr(r, "config", "the configuration"),
		    (long long)jint(r, "hosts"), (long long)jint(r, "handlers"));
		json_object_put(r);
	} else if (rc == 1) {
		fprintf(stderr, "yggctl: the daemon keeps running with its previous configuration\n");
	}
	free(body);
	return rc;
}

/* ---- ygg-plugin list, from the daemon */

int
ctl_plugins_text(const char *json, struct buf *out)
{
	json_object *s = json_tokener_parse(json);

	if (s == NULL || jget(s, "plugins") == NULL) {
		json_object_put(s);
		return -1;
	}
	buf_printf(out, "from the running yggd %s (plugin_dir %s)\n", jstr(s, "version", "?"),
	    jstr(s, "plugin_dir", "?"));
	render_plugins(s, "plugins", "refused", out);
	json_object_put(s);
	return 0;
}
