/*
 * mockhost.c - a stand-in LLM server for the tests, demo and benchmarks: one
 * process plays one GPU host, on loopback, speaking Ollama's /api/chat and
 * OpenAI's /v1/chat/completions (streamed and not) with deterministic replies.
 *
 *   mockhost [--port N] [--port-file FILE] [--host ADDR] [--model NAME]...
 *            [--latency MS] [--scale X] [--tokens N] [--api-key KEY] [--quiet]
 *
 * Requests steer it with directives anywhere in the messages' text:
 *   [mock latency=300ms]  (or =2s; the reply is spread over that time)
 *   [mock tokens=N]       reply length in chunks (eval_count / completion_tokens)
 *   [mock reply=BASE64]   the exact reply text
 *   [mock fault=F]        F: 400 404 429 500 503 (answered at once, real error
 *                         bodies; retry_after=N adds Retry-After: N, retry_after_date=N
 *                         sends it as an HTTP date N s ahead), reset (RST after the
 *                         first chunk), garbage (200, not JSON), hang (headers, then
 *                         nothing), slow (one byte every 200 ms), truncate (no
 *                         done / [DONE]), empty (done, no content), huge (endless content),
 *                         abrupt_end (the whole stream, then a reset instead of the
 *                         reply's proper end)
 *   [mock fault=F times=N] only the first N requests of that task id fail
 * Several directives combine. The task id is taken from a "Task: <id>" line of
 * a user message (yggd's prompt starts with one). The reply reads "Result for
 * <id>: ..." and, when the system prompt mentions code or files, adds a fenced
 * block "```python file=src/<id>.py" for the artifact handlers to pick up.
 *
 * --model names the models it has (any name is served when none is given); a
 * request for another gets the server's real 404 "model not found" body. With
 * --api-key, a request without "Authorization: Bearer KEY" gets a 401.
 * --latency is each reply's default length in ms, --tokens its default length
 * in chunks, and every latency (the slow fault's 200 ms included) is multiplied
 * by --scale.
 *
 * GET /_mock/stats shows what it saw: chat requests, the in-flight count and its
 * peak (from a request's arrival to its reply's end or the client's leaving),
 * client connections opened, requests per path, and a log of every chat request
 * {seq, task, model, path, start_ms, end_ms, outcome} with times in ms since the
 * mock started and outcome "ok", the fault's name, "model_missing",
 * "unauthorized", "bad_request", or "aborted" when the client went away first.
 * POST /_mock/reset clears it. SIGTERM and SIGINT exit cleanly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ygg.h"

#define HUGE_CHUNK 4096             /* content bytes per chunk of fault=huge */
#define HUGE_BACKLOG (256 * 1024)   /* stop writing while this much is unsent */
#define SLOW_INTERVAL_MS 200.0

struct mock;

/* One log line of /_mock/stats. */
struct logent {
	uint64_t seq;
	char *task;
	char *model;
	char *path;
	int64_t start_ms;
	int64_t end_ms; /* -1 while in flight */
	char *outcome;
	TAILQ_ENTRY(logent) entry;
};
TAILQ_HEAD(logent_list, logent);

struct counter {
	char *key;
	uint64_t n;
	TAILQ_ENTRY(counter) entry;
};
TAILQ_HEAD(counter_list, counter);

/* What we will send, and when (ms after the request arrived, before --scale). */
struct piece {
	char *data;
	size_t len;
	double due_ms;
};

struct mreq;

/* A client connection, so a disconnect can be pinned on the request it was serving. */
struct mconn {
	struct mock *m;
	struct evhttp_connection *evcon;
	struct mreq *cur;
	TAILQ_ENTRY(mconn) entry;
};
TAILQ_HEAD(mconn_list, mconn);

enum fault {
	F_NONE,
	F_400,
	F_404,
	F_429,
	F_500,
	F_503,
	F_RESET,
	F_GARBAGE,
	F_HANG,
	F_SLOW,
	F_TRUNCATE,
	F_EMPTY,
	F_HUGE,
	F_ABRUPT_END,
};
static const char *const fault_names[] = { "none", "400", "404", "429", "500", "503", "reset", "garbage", "hang",
	"slow", "truncate", "empty", "huge", "abrupt_end" };

/* A chat request being answered. */
struct mreq {
	struct mock *m;
	struct evhttp_request *req;
	struct mconn *conn;
	struct logent *ent;
	enum api_kind api;
	bool stream;
	bool include_usage;
	char *model;
	char *task;
	enum fault fault;
	double latency_ms;
	int tokens;
	double retry_after;    /* -1 none */
	double retry_after_at; /* seconds ahead as an HTTP date, -1 none */
	long times;            /* -1 none */
	char *reply;           /* forced text, or NULL */
	size_t reply_len;      /* its length: the text may hold NUL bytes */
	bool code;             /* the system prompt asks for code or files */
	int prompt_tokens;

	struct piece *pieces;
	size_t npieces, next;
	int64_t started;       /* mono ns */
	struct event *timer;
	bool started_reply;
	bool reset_pending;
	uint64_t huge_sent;
	TAILQ_ENTRY(mreq) entry;
};
TAILQ_HEAD(mreq_list, mreq);

struct mock {
	struct event_base *base;
	struct evhttp *http;
	char **models;
	size_t nmodels;
	double latency_ms;
	double scale;
	int tokens;
	bool quiet;
	char *api_key;
	int64_t t0;
	bool stopping;

	uint64_t requests;
	uint64_t seq;
	int in_flight;
	int max_in_flight;
	uint64_t connections;
	struct counter_list by_path;
	struct counter_list task_seen; /* requests per task id carrying times= */
	struct logent_list log;
	struct mconn_list conns;
	struct mreq_list live;
};

static int64_t
since_start_ms(const struct mock *m)
{
	return (now_mono_ns() - m->t0) / 1000000;
}

static uint64_t *
counter_get(struct counter_list *l, const char *key)
{
	struct counter *c;

	TAILQ_FOREACH(c, l, entry) {
		if (strcmp(c->key, key) == 0)
			return &c->n;
	}
	c = xcalloc(1, sizeof *c);
	c->key = xstrdup(key);
	TAILQ_INSERT_TAIL(l, c, entry);
	return &c->n;
}

static void
counters_clear(struct counter_list *l)
{
	struct counter *c;

	while ((c = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, c, entry);
		free(c->key);
		free(c);
	}
}

static void
logent_free(struct logent *e)
{
	free(e->task);
	free(e->model);
	free(e->path);
	free(e->outcome);
	free(e);
}

/* ---- small helpers */

static const char *
json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static void
add_jstr(struct buf *b, const char *s)
{
	json_append_string(b, s, strlen(s));
}

static void
rfc3339_now(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%09ldZ", base, ts.tv_nsec);
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Standard or URL-safe base64, padding optional; *len its length. NULL when malformed. */
static char *
b64decode(const char *s, size_t n, size_t *len)
{
	struct buf out;
	unsigned acc = 0;
	int bits = 0;

	buf_init(&out);
	buf_add(&out, "", 0);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=')
			break;
		int v = b64val((unsigned char)s[i]);
		if (v < 0) {
			buf_free(&out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(&out, (char)((acc >> bits) & 0xff));
		}
	}
	*len = out.len;
	return buf_steal(&out);
}

/* "300ms", "2s", "1.5s", "250" (ms). -1 when unreadable. */
static double
parse_ms(const char *v)
{
	char *end;
	double x = strtod(v, &end);

	if (end == v || !isfinite(x) || x < 0)
		return -1;
	if (strcmp(end, "s") == 0)
		return x * 1000.0;
	if (*end == '\0' || strcmp(end, "ms") == 0)
		return x;
	return -1;
}

static enum fault
parse_fault(const char *v)
{
	for (size_t i = 1; i < sizeof fault_names / sizeof fault_names[0]; i++)
		if (strcmp(v, fault_names[i]) == 0)
			return (enum fault)i;
	return F_NONE;
}

/* Every "[mock k=v k=v]" in text. */
static void
parse_directives(struct mreq *r, const char *text)
{
	const char *p = text;

	while ((p = strstr(p, "[mock ")) != NULL) {
		const char *end = strchr(p, ']');
		if (end == NULL)
			break;
		char *inner = xstrndup(p + 6, (size_t)(end - p - 6));
		char *save = NULL;
		for (char *tok = strtok_r(inner, " \t\n", &save); tok != NULL; tok = strtok_r(NULL, " \t\n", &save)) {
			char *eq = strchr(tok, '=');
			if (eq == NULL)
				continue;
			*eq = '\0';
			const char *k = tok, *v = eq + 1;
			if (strcmp(k, "latency") == 0) {
				double ms = parse_ms(v);
				if (ms >= 0)
					r->latency_ms = ms;
			} else if (strcmp(k, "fault") == 0) {
				r->fault = parse_fault(v);
			} else if (strcmp(k, "retry_after") == 0) {
				r->retry_after = atof(v);
			} else if (strcmp(k, "retry_after_date") == 0) {
				r->retry_after_at = atof(v);
			} else if (strcmp(k, "times") == 0) {
				r->times = atol(v);
			} else if (strcmp(k, "tokens") == 0) {
				r->tokens = atoi(v);
			} else if (strcmp(k, "reply") == 0) {
				size_t tl;
				char *t = b64decode(v, strlen(v), &tl);
				if (t != NULL) {
					free(r->reply);
					r->reply = t;
					r->reply_len = tl;
				}
			}
		}
		free(inner);
		p = end + 1;
	}
}

static bool
mentions_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* The id from a "Task: <id>" line (ids have no spaces). */
static char *
find_task(const char *text)
{
	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, "Task: ", 6) == 0) {
			const char *s = p + 6, *e;
			while (*s == ' ' || *s == '\t')
				s++;
			e = s;
			while (*e != '\0' && *e != '\n' && *e != '\r' && *e != ' ' && *e != '\t')
				e++;
			if (e > s)
				return xstrndup(s, (size_t)(e - s));
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static bool
model_known(const struct mock *m, const char *model)
{
	if (m->nmodels == 0)
		return true;
	for (size_t i = 0; i < m->nmodels; i++) {
		const char *k = m->models[i];
		size_t kl = strlen(k), ml = strlen(model);
		if (strcmp(k, model) == 0)
			return true;
		if (ml == kl + 7 && strncmp(model, k, kl) == 0 && strcmp(model + kl, ":latest") == 0)
			return true;
		if (kl == ml + 7 && strncmp(k, model, ml) == 0 && strcmp(k + ml, ":latest") == 0)
			return true;
	}
	return false;
}

/* ---- the reply text */

static const char *const words[] = { "the", "work", "is", "done", "and", "checked", "against", "the",
	"acceptance", "criteria", "with", "care", "so", "nothing", "remains", "open" };

static char *
safe_id(const char *id, bool ident)
{
	char *s = xstrdup(id != NULL && *id != '\0' ? id : "task");

	for (char *p = s; *p != '\0'; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		    (!ident && (*p == '-' || *p == '.'));
		if (!ok)
			*p = '_';
	}
	if (!ident && s[0] == '.')
		s[0] = '_';
	return s;
}

static char *
reply_text(const struct mreq *r, int tokens, size_t *len)
{
	struct buf b;
	const char *id = r->task != NULL ? r->task : "unknown";

	if (r->reply != NULL) {
		char *t = xmalloc(r->reply_len + 1);
		memcpy(t, r->reply, r->reply_len);
		t[r->reply_len] = '\0';
		*len = r->reply_len;
		return t;
	}
	buf_init(&b);
	buf_printf(&b, "Result for %s:", id);
	for (int i = 0; i < (tokens > 1 ? tokens - 1 : 1); i++)
		buf_printf(&b, " %s", words[i % (int)(sizeof words / sizeof words[0])]);
	buf_adds(&b, ".\n");
	if (r->code) {
		char *file = safe_id(r->task, false), *fn = safe_id(r->task, true);
		buf_printf(&b, "\n```python file=src/%s.py\ndef result_%s():\n    \"\"\"Mock result for %s.\"\"\"\n"
		               "    return \"%s\"\n```\n",
		    file, fn, id, id);
		free(file);
		free(fn);
	}
	*len = b.len;
	return buf_steal(&b);
}

/* Split text into n pieces without cutting a UTF-8 sequence. */
static size_t
split_text(const char *text, size_t len, size_t n, size_t **bounds)
{
	size_t *b;

	if (n > len)
		n = len;
	if (n == 0)
		n = len > 0 ? 1 : 0;
	b = xcalloc(n + 1, sizeof *b);
	for (size_t k = 1; k < n; k++) {
		size_t at = len * k / n;
		while (at < len && ((unsigned char)text[at] & 0xc0) == 0x80)
			at++;
		if (at < b[k - 1])
			at = b[k - 1];
		b[k] = at;
	}
	b[n] = len;
	*bounds = b;
	return n;
}

static void
add_piece(struct mreq *r, struct buf *b, double due_ms)
{
	r->pieces = xrealloc(r->pieces, (r->npieces + 1) * sizeof *r->pieces);
	r->pieces[r->npieces].len = b->len;
	r->pieces[r->npieces].data = buf_steal(b);
	r->pieces[r->npieces].due_ms = due_ms;
	r->npieces++;
}

static void
ollama_chunk(struct buf *b, const struct mreq *r, const char *content, size_t len)
{
	char ts[48];

	rfc3339_now(ts, sizeof ts);
	buf_adds(b, "{\"model\":");
	add_jstr(b, r->model);
	buf_printf(b, ",\"created_at\":\"%s\",\"message\":{\"role\":\"assistant\",\"content\":", ts);
	json_append_string(b, content, len);
	buf_adds(b, "},\"done\":false}\n");
}

static void
ollama_final(struct buf *b, const struct mreq *r, const char *content, size_t len, int eval_count, bool stream)
{
	char ts[48];
	double ms = r->latency_ms * r->m->scale;
	int64_t total = (int64_t)(ms * 1e6) + 1000000;

	rfc3339_now(ts, sizeof ts);
	buf_adds(b, "{\"model\":");
	add_jstr(b, r->model);
	buf_printf(b, ",\"created_at\":\"%s\",\"message\":{\"role\":\"assistant\",\"content\":", ts);
	json_append_string(b, stream ? "" : content, stream ? 0 : len);
	buf_printf(b,
	    "},\"done_reason\":\"stop\",\"done\":true,\"total_duration\":%lld,\"load_duration\":1000000,"
	    "\"prompt_eval_count\":%d,\"prompt_eval_duration\":%lld,\"eval_count\":%d,\"eval_duration\":%lld}",
	    (long long)total, r->prompt_tokens, (long long)(total / 10), eval_count,
	    (long long)(total - total / 10 - 1000000 > 0 ? total - total / 10 - 1000000 : 1));
	if (stream)
		buf_addc(b, '\n');
}

static void
openai_chunk(struct buf *b, const struct mreq *r, const char *delta_json, const char *finish)
{
	buf_printf(b, "data: {\"id\":\"chatcmpl-mock%llu\",\"object\":\"chat.completion.chunk\",\"created\":%lld,"
	              "\"model\":",
	    (unsigned long long)(r->ent != NULL ? r->ent->seq : 0), (long long)time(NULL));
	add_jstr(b, r->model);
	buf_printf(b, ",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"delta\":%s,\"logprobs\":null,"
	              "\"finish_reason\":%s}]}\n\n",
	    delta_json, finish);
}

static void
openai_usage(struct buf *b, const struct mreq *r, int completion, bool stream)
{
	if (stream) {
		buf_printf(b, "data: {\"id\":\"chatcmpl-mock%llu\",\"object\":\"chat.completion.chunk\",\"created\":%lld,"
		              "\"model\":",
		    (unsigned long long)(r->ent != NULL ? r->ent->seq : 0), (long long)time(NULL));
		add_jstr(b, r->model);
		buf_adds(b, ",\"system_fingerprint\":\"fp_mock\",\"choices\":[],");
	}
	buf_printf(b, "\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}", r->prompt_tokens,
	    completion, r->prompt_tokens + completion);
	if (stream)
		buf_adds(b, "}\n\n");
}

static void
openai_body(struct buf *b, const struct mreq *r, const char *content, size_t len, int completion)
{
	buf_printf(b, "{\"id\":\"chatcmpl-mock%llu\",\"object\":\"chat.completion\",\"created\":%lld,\"model\":",
	    (unsigned long long)(r->ent != NULL ? r->ent->seq : 0), (long long)time(NULL));
	add_jstr(b, r->model);
	buf_adds(b, ",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
	            "\"content\":");
	json_append_string(b, content, len);
	buf_adds(b, "},\"logprobs\":null,\"finish_reason\":\"stop\"}],");
	openai_usage(b, r, completion, false);
	buf_adds(b, "}\n");
}

/* Lay out the whole reply as timed pieces. */
static void
plan_reply(struct mreq *r)
{
	struct buf b;
	int tokens = r->fault == F_EMPTY ? 0 : r->tokens > 0 ? r->tokens : 1;
	size_t len = 0, *bounds = NULL;
	char *text = r->fault == F_EMPTY ? xstrdup("") : reply_text(r, tokens, &len);
	size_t n = split_text(text, len, (size_t)(tokens > 0 ? tokens : 0), &bounds);
	double L = r->latency_ms;
	int eval = (int)n;

	buf_init(&b);
	if (r->fault == F_GARBAGE) {
		buf_adds(&b, "<html><body>this is not JSON: 502 from the mock's pretend proxy</body></html>\n");
		add_piece(r, &b, L);
	} else if (!r->stream) {
		size_t cut;
		if (r->api == API_OLLAMA)
			ollama_final(&b, r, text, len, eval, false);
		else
			openai_body(&b, r, text, len, eval);
		cut = r->fault == F_TRUNCATE ? b.len / 2 : b.len;
		b.len = cut;
		b.p[cut] = '\0';
		add_piece(r, &b, L);
	} else {
		if (r->api == API_OPENAI) {
			openai_chunk(&b, r, "{\"role\":\"assistant\",\"content\":\"\"}", "null");
			add_piece(r, &b, 0);
		}
		for (size_t k = 0; k < n; k++) {
			double due = L * (double)(k + 1) / (double)(n + 1);
			if (r->api == API_OLLAMA) {
				ollama_chunk(&b, r, text + bounds[k], bounds[k + 1] - bounds[k]);
			} else {
				struct buf d;
				buf_init(&d);
				buf_adds(&d, "{\"content\":");
				json_append_string(&d, text + bounds[k], bounds[k + 1] - bounds[k]);
				buf_addc(&d, '}');
				openai_chunk(&b, r, d.p, "null");
				buf_free(&d);
			}
			add_piece(r, &b, due);
		}
		if (r->fault != F_TRUNCATE) {
			if (r->api == API_OLLAMA) {
				ollama_final(&b, r, text, len, eval, true);
			} else {
				openai_chunk(&b, r, "{}", "\"stop\"");
				if (r->include_usage)
					openai_usage(&b, r, eval, true);
				buf_adds(&b, "data: [DONE]\n\n");
			}
			add_piece(r, &b, L);
		}
	}
	if (r->fault == F_SLOW) {
		/* the same bytes, one at a time */
		struct piece *old = r->pieces;
		size_t nold = r->npieces;
		r->pieces = NULL;
		r->npieces = 0;
		double due = 0;
		for (size_t i = 0; i < nold; i++) {
			for (size_t j = 0; j < old[i].len; j++) {
				buf_addc(&b, old[i].data[j]);
				due += SLOW_INTERVAL_MS;
				add_piece(r, &b, due);
			}
			free(old[i].data);
		}
		free(old);
	}
	buf_free(&b);
	free(bounds);
	free(text);
}

/* ---- the request's life */

static void
mreq_free(struct mreq *r)
{
	if (r == NULL)
		return;
	if (r->timer != NULL)
		event_free(r->timer);
	for (size_t i = 0; i < r->npieces; i++)
		free(r->pieces[i].data);
	free(r->pieces);
	free(r->model);
	free(r->task);
	free(r->reply);
	free(r);
}

/* The request is over (outcome says how); the evhttp request is no longer ours to touch. */
static void
mreq_end(struct mreq *r, const char *outcome)
{
	struct mock *m = r->m;

	if (r->ent != NULL) {
		r->ent->end_ms = since_start_ms(m);
		free(r->ent->outcome);
		r->ent->outcome = xstrdup(outcome);
	}
	m->in_flight--;
	if (r->conn != NULL && r->conn->cur == r)
		r->conn->cur = NULL;
	if (!m->quiet)
		fprintf(stderr, "mockhost: %s task=%s model=%s outcome=%s ms=%lld\n",
		    r->api == API_OLLAMA ? "/api/chat" : "/v1/chat/completions", r->task != NULL ? r->task : "-",
		    r->model, outcome, (long long)((now_mono_ns() - r->started) / 1000000));
	TAILQ_REMOVE(&m->live, r, entry);
	mreq_free(r);
}

static void
set_header(struct evhttp_request *req, const char *k, const char *v)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_remove_header(h, k);
	evhttp_add_header(h, k, v);
}

static void
send_body(struct evhttp_request *req, int code, const char *reason, const char *ctype, const char *body, size_t len)
{
	struct evbuffer *out = evbuffer_new();

	evbuffer_add(out, body, len);
	set_header(req, "Content-Type", ctype);
	evhttp_send_reply(req, code, reason, out);
	evbuffer_free(out);
}

/* A real server's error reply for the fault. */
static void
send_error(struct mreq *r, int code)
{
	struct buf b;
	const char *reason = "Error", *msg = "error", *type = "server_error", *ecode = "null";
	char tmp[64];

	buf_init(&b);
	switch (code) {
	case 400:
		reason = "Bad Request";
		msg = "mock: invalid request (fault=400)";
		type = "invalid_request_error";
		break;
	case 401:
		reason = "Unauthorized";
		msg = "Incorrect API key provided.";
		type = "invalid_request_error";
		ecode = "\"invalid_api_key\"";
		break;
	case 404:
		reason = "Not Found";
		break;
	case 429:
		reason = "Too Many Requests";
		msg = "Rate limit reached for requests";
		type = "requests";
		ecode = "\"rate_limit_exceeded\"";
		break;
	case 500:
		reason = "Internal Server Error";
		msg = "The server had an error while processing your request.";
		break;
	case 503:
		reason = "Service Unavailable";
		msg = r->api == API_OLLAMA ? "server busy, please try again.  maximum pending requests exceeded"
		                           : "The engine is currently overloaded, please try again later.";
		break;
	}
	if (code == 404) {
		/* exactly what the real servers say for a model they do not have */
		if (r->api == API_OLLAMA) {
			struct buf m;
			buf_init(&m);
			buf_printf(&m, "model \"%s\" not found, try pulling it first", r->model);
			buf_adds(&b, "{\"error\":");
			json_append_string(&b, m.p, m.len);
			buf_addc(&b, '}');
			buf_free(&m);
		} else {
			struct buf m;
			buf_init(&m);
			buf_printf(&m, "The model `%s` does not exist or you do not have access to it.", r->model);
			buf_adds(&b, "{\"error\":{\"message\":");
			json_append_string(&b, m.p, m.len);
			buf_adds(&b, ",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}");
			buf_free(&m);
		}
	} else if (r->api == API_OLLAMA) {
		buf_adds(&b, "{\"error\":");
		add_jstr(&b, msg);
		buf_addc(&b, '}');
	} else {
		buf_adds(&b, "{\"error\":{\"message\":");
		add_jstr(&b, msg);
		buf_printf(&b, ",\"type\":\"%s\",\"param\":null,\"code\":%s}}", type, ecode);
	}
	if (r->retry_after >= 0 && (code == 429 || code == 503)) {
		snprintf(tmp, sizeof tmp, "%.0f", ceil(r->retry_after));
		set_header(r->req, "Retry-After", tmp);
	} else if (r->retry_after_at >= 0 && (code == 429 || code == 503)) {
		time_t when = time(NULL) + (time_t)ceil(r->retry_after_at);
		struct tm tm;
		gmtime_r(&when, &tm);
		strftime(tmp, sizeof tmp, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		set_header(r->req, "Retry-After", tmp);
	}
	send_body(r->req, code, reason, "application/json; charset=utf-8", b.p, b.len);
	buf_free(&b);
}

static void
arm(struct mreq *r, double ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000.0);
	tv.tv_usec = (suseconds_t)((ms - (double)tv.tv_sec * 1000.0) * 1000.0);
	evtimer_add(r->timer, &tv);
}

/*
 * Close the connection with a TCP reset. evhttp would send a FIN first (the
 * client would see an orderly end of stream), so the socket is moved out of its
 * way: a duplicate keeps it open while /dev/null takes its descriptor number for
 * evhttp to shut down and close, then closing the duplicate with a zero linger
 * sends the RST.
 */
static void
do_reset(struct mreq *r, const char *outcome)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->req);
	struct mconn *c = r->conn;
	int keep = -1;

	if (evcon != NULL) {
		struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
		evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
		struct linger lg = { 1, 0 };
		if (fd >= 0) {
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
			keep = nul >= 0 ? dup(fd) : -1;
			if (keep >= 0)
				dup2(nul, fd);
			if (nul >= 0)
				close(nul);
		}
	}
	/* the connection's close callback must not count this as the client leaving */
	if (c != NULL)
		c->cur = NULL;
	mreq_end(r, outcome);
	if (evcon != NULL)
		evhttp_connection_free(evcon); /* frees the request too */
	if (keep >= 0)
		close(keep);
}

static void
send_huge(struct mreq *r)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->req);
	struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
	struct buf b, text;

	if (bev != NULL && evbuffer_get_length(bufferevent_get_output(bev)) > HUGE_BACKLOG) {
		arm(r, 5);
		return;
	}
	buf_init(&b);
	buf_init(&text);
	for (int i = 0; text.len < HUGE_CHUNK; i++)
		buf_printf(&text, "%s ", words[(r->huge_sent + (uint64_t)i) % (sizeof words / sizeof words[0])]);
	r->huge_sent++;
	if (r->api == API_OLLAMA) {
		ollama_chunk(&b, r, text.p, text.len);
	} else {
		struct buf d;
		buf_init(&d);
		buf_adds(&d, "{\"content\":");
		json_append_string(&d, text.p, text.len);
		buf_addc(&d, '}');
		openai_chunk(&b, r, d.p, "null");
		buf_free(&d);
	}
	struct evbuffer *out = evbuffer_new();
	evbuffer_add(out, b.p, b.len);
	evhttp_send_reply_chunk(r->req, out);
	evbuffer_free(out);
	buf_free(&b);
	buf_free(&text);
	arm(r, 1);
}

static void
start_reply(struct mreq *r)
{
	const char *ctype;

	if (r->started_reply)
		return;
	r->started_reply = true;
	if (!r->stream || r->fault == F_GARBAGE)
		ctype = r->fault == F_GARBAGE ? "text/html" : "application/json; charset=utf-8";
	else
		ctype = r->api == API_OLLAMA ? "application/x-ndjson" : "text/event-stream";
	set_header(r->req, "Content-Type", ctype);
	if (r->api == API_OPENAI && r->stream)
		set_header(r->req, "Cache-Control", "no-cache");
	evhttp_send_reply_start(r->req, 200, "OK");
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct mreq *r = arg;
	struct mock *m = r->m;
	double elapsed = (double)(now_mono_ns() - r->started) / 1e6;

	(void)fd, (void)what;
	if (r->reset_pending) {
		do_reset(r, fault_names[r->fault]);
		return;
	}
	if (r->fault == F_HUGE) {
		start_reply(r);
		send_huge(r);
		return;
	}
	if (r->fault == F_RESET && !r->stream) {
		do_reset(r, fault_names[r->fault]);
		return;
	}
	if (!r->started_reply && r->npieces == 1 && r->fault != F_HANG && r->fault != F_ABRUPT_END) {
		/* a whole body at once, with a Content-Length */
		const char *ctype = r->fault == F_GARBAGE ? "text/html" : "application/json; charset=utf-8";
		send_body(r->req, 200, "OK", ctype, r->pieces[0].data, r->pieces[0].len);
		mreq_end(r, r->fault == F_NONE ? "ok" : fault_names[r->fault]);
		return;
	}
	start_reply(r);
	if (r->fault == F_HANG)
		return; /* headers, then nothing until the client gives up */
	while (r->next < r->npieces && r->pieces[r->next].due_ms * m->scale <= elapsed + 0.5) {
		struct piece *p = &r->pieces[r->next++];
		struct evbuffer *out = evbuffer_new();
		evbuffer_add(out, p->data, p->len);
		evhttp_send_reply_chunk(r->req, out);
		evbuffer_free(out);
		if (r->fault == F_RESET && r->next >= (r->api == API_OPENAI ? 2u : 1u)) {
			/* a chunk is out: give it a moment to leave, then cut the connection */
			r->reset_pending = true;
			arm(r, 50);
			return;
		}
	}
	if (r->next < r->npieces) {
		arm(r, r->pieces[r->next].due_ms * m->scale - elapsed);
		return;
	}
	if (r->fault == F_ABRUPT_END) {
		r->reset_pending = true;
		arm(r, 50);
		return;
	}
	evhttp_send_reply_end(r->req);
	mreq_end(r, r->fault == F_NONE ? "ok" : fault_names[r->fault]);
}

/* ---- connections */

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct mconn *c = arg;
	struct mock *m = c->m;
	struct mreq *r = c->cur;

	(void)evcon;
	TAILQ_REMOVE(&m->conns, c, entry);
	free(c);
	if (r == NULL || m->stopping)
		return;
	/*
	 * The client went away mid-reply. evhttp has detached the unfinished request
	 * from the dying connection and left it to us; ending it frees it.
	 */
	struct evhttp_request *req = r->req;
	r->conn = NULL;
	mreq_end(r, "aborted");
	evhttp_send_reply_end(req);
}

static struct mconn *
conn_for(struct mock *m, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct mconn *c;

	if (evcon == NULL)
		return NULL;
	TAILQ_FOREACH(c, &m->conns, entry) {
		if (c->evcon == evcon)
			return c;
	}
	c = xcalloc(1, sizeof *c);
	c->m = m;
	c->evcon = evcon;
	TAILQ_INSERT_TAIL(&m->conns, c, entry);
	m->connections++;
	evhttp_connection_set_closecb(evcon, conn_closed, c);
	return c;
}

/* ---- endpoints */

static char *
body_text(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *s = xmalloc(n + 1);

	evbuffer_copyout(in, s, n);
	s[n] = '\0';
	*len = n;
	return s;
}

static bool
authorized(struct mock *m, struct evhttp_request *req)
{
	const char *h;
	char *want;
	bool ok;

	if (m->api_key == NULL)
		return true;
	h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	want = xasprintf("Bearer %s", m->api_key);
	ok = h != NULL && strcmp(h, want) == 0;
	free(want);
	return ok;
}

static void
handle_chat(struct mock *m, struct evhttp_request *req, enum api_kind api, const char *path)
{
	struct mreq *r = xcalloc(1, sizeof *r);
	struct json_object *root, *msgs, *v;
	struct buf all, sys;
	size_t len;
	char *body = body_text(req, &len);

	r->m = m;
	r->req = req;
	r->api = api;
	r->latency_ms = m->latency_ms;
	r->tokens = m->tokens;
	r->retry_after = -1;
	r->retry_after_at = -1;
	r->times = -1;
	r->started = now_mono_ns();
	r->timer = evtimer_new(m->base, tick, r);
	buf_init(&all);
	buf_init(&sys);
	buf_add(&all, "", 0);
	buf_add(&sys, "", 0);

	root = json_tokener_parse(body);
	r->stream = api == API_OLLAMA; /* each API's default */
	if (root != NULL && json_object_object_get_ex(root, "stream", &v))
		r->stream = json_object_get_boolean(v);
	if (root != NULL && json_object_object_get_ex(root, "stream_options", &v)) {
		struct json_object *iu;
		if (json_object_object_get_ex(v, "include_usage", &iu))
			r->include_usage = json_object_get_boolean(iu);
	}
	r->model = xstrdup(json_str(root, "model") != NULL ? json_str(root, "model") : "");
	if (root != NULL && json_object_object_get_ex(root, "messages", &msgs) &&
	    json_object_is_type(msgs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(msgs); i++) {
			struct json_object *msg = json_object_array_get_idx(msgs, i);
			const char *role = json_str(msg, "role"), *content = json_str(msg, "content");
			if (content == NULL)
				continue;
			buf_adds(&all, content);
			buf_addc(&all, '\n');
			if (role != NULL && strcmp(role, "system") == 0)
				buf_adds(&sys, content);
			if (r->task == NULL && role != NULL && strcmp(role, "user") == 0)
				r->task = find_task(content);
		}
	}
	r->prompt_tokens = (int)((all.len + 3) / 4);
	r->code = mentions_ci(sys.p, "code") || mentions_ci(sys.p, "file");
	parse_directives(r, all.p);
	if (r->times >= 0) {
		uint64_t *seen = counter_get(&m->task_seen, r->task != NULL ? r->task : "");
		(*seen)++;
		if (*seen > (uint64_t)r->times)
			r->fault = F_NONE;
	}

	m->requests++;
	m->in_flight++;
	if (m->in_flight > m->max_in_flight)
		m->max_in_flight = m->in_flight;
	r->ent = xcalloc(1, sizeof *r->ent);
	r->ent->seq = ++m->seq;
	r->ent->task = r->task != NULL ? xstrdup(r->task) : NULL;
	r->ent->model = xstrdup(r->model);
	r->ent->path = xstrdup(path);
	r->ent->start_ms = since_start_ms(m);
	r->ent->end_ms = -1;
	r->ent->outcome = xstrdup("in_flight");
	TAILQ_INSERT_TAIL(&m->log, r->ent, entry);
	TAILQ_INSERT_TAIL(&m->live, r, entry);
	r->conn = conn_for(m, req);
	if (r->conn != NULL)
		r->conn->cur = r;

	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		send_error(r, 400);
		mreq_end(r, "bad_request");
	} else if (!authorized(m, req)) {
		send_error(r, 401);
		mreq_end(r, "unauthorized");
	} else if (!model_known(m, r->model) || r->fault == F_404) {
		send_error(r, 404);
		mreq_end(r, r->fault == F_404 ? "404" : "model_missing");
	} else if (r->fault == F_400 || r->fault == F_429 || r->fault == F_500 || r->fault == F_503) {
		int code = r->fault == F_400 ? 400 : r->fault == F_429 ? 429 : r->fault == F_500 ? 500 : 503;
		send_error(r, code);
		mreq_end(r, fault_names[r->fault]);
	} else {
		plan_reply(r);
		if (r->stream || r->fault == F_HANG || r->fault == F_SLOW || r->fault == F_HUGE) {
			start_reply(r); /* streaming servers answer with headers at once */
		} else {
			/*
			 * Nothing is written until the body is ready; watch for the client
			 * leaving meanwhile (evhttp reads again only once a reply is started).
			 */
			struct evhttp_connection *evcon = evhttp_request_get_connection(req);
			if (evcon != NULL)
				bufferevent_enable(evhttp_connection_get_bufferevent(evcon), EV_READ);
		}
		arm(r, r->npieces > 0 && r->fault != F_HUGE ? r->pieces[0].due_ms * m->scale : 0);
	}
	json_object_put(root);
	buf_free(&all);
	buf_free(&sys);
	free(body);
}

static void
handle_tags(struct mock *m, struct evhttp_request *req, enum api_kind api)
{
	struct buf b;
	const char *dflt[] = { "mock" };
	char **list = m->nmodels > 0 ? m->models : (char **)dflt;
	size_t n = m->nmodels > 0 ? m->nmodels : 1;
	char ts[48];

	rfc3339_now(ts, sizeof ts);
	buf_init(&b);
	if (api == API_OLLAMA) {
		buf_adds(&b, "{\"models\":[");
		for (size_t i = 0; i < n; i++) {
			buf_adds(&b, i > 0 ? ",{\"name\":" : "{\"name\":");
			add_jstr(&b, list[i]);
			buf_adds(&b, ",\"model\":");
			add_jstr(&b, list[i]);
			buf_printf(&b, ",\"modified_at\":\"%s\",\"size\":4683087332,\"digest\":\"%016llx\","
			               "\"details\":{\"format\":\"gguf\",\"family\":\"mock\",\"parameter_size\":\"7B\","
			               "\"quantization_level\":\"Q4_K_M\"}}",
			    ts, (unsigned long long)hash64(list[i], strlen(list[i])));
		}
		buf_adds(&b, "]}");
	} else {
		buf_adds(&b, "{\"object\":\"list\",\"data\":[");
		for (size_t i = 0; i < n; i++) {
			buf_adds(&b, i > 0 ? ",{\"id\":" : "{\"id\":");
			add_jstr(&b, list[i]);
			buf_printf(&b, ",\"object\":\"model\",\"created\":%lld,\"owned_by\":\"mockhost\"}", (long long)time(NULL));
		}
		buf_adds(&b, "]}");
	}
	send_body(req, 200, "OK", "application/json; charset=utf-8", b.p, b.len);
	buf_free(&b);
}

static void
handle_stats(struct mock *m, struct evhttp_request *req)
{
	struct buf b;
	struct counter *c;
	struct logent *e;
	bool first = true;

	buf_init(&b);
	buf_printf(&b, "{\"requests\":%llu,\"in_flight\":%d,\"max_in_flight\":%d,\"connections\":%llu,\"by_path\":{",
	    (unsigned long long)m->requests, m->in_flight, m->max_in_flight, (unsigned long long)m->connections);
	TAILQ_FOREACH(c, &m->by_path, entry) {
		if (!first)
			buf_addc(&b, ',');
		first = false;
		add_jstr(&b, c->key);
		buf_printf(&b, ":%llu", (unsigned long long)c->n);
	}
	buf_adds(&b, "},\"log\":[");
	first = true;
	TAILQ_FOREACH(e, &m->log, entry) {
		if (!first)
			buf_addc(&b, ',');
		first = false;
		buf_printf(&b, "{\"seq\":%llu,\"task\":", (unsigned long long)e->seq);
		if (e->task != NULL)
			add_jstr(&b, e->task);
		else
			buf_adds(&b, "null");
		buf_adds(&b, ",\"model\":");
		add_jstr(&b, e->model);
		buf_adds(&b, ",\"path\":");
		add_jstr(&b, e->path);
		buf_printf(&b, ",\"start_ms\":%lld,\"end_ms\":", (long long)e->start_ms);
		if (e->end_ms >= 0)
			buf_printf(&b, "%lld", (long long)e->end_ms);
		else
			buf_adds(&b, "null");
		buf_adds(&b, ",\"outcome\":");
		add_jstr(&b, e->outcome);
		buf_addc(&b, '}');
	}
	buf_adds(&b, "]}\n");
	send_body(req, 200, "OK", "application/json", b.p, b.len);
	buf_free(&b);
}

static void
handle_reset(struct mock *m, struct evhttp_request *req)
{
	struct logent *e;
	struct mreq *r;

	TAILQ_FOREACH(r, &m->live, entry)
		r->ent = NULL; /* still answered, no longer logged */
	while ((e = TAILQ_FIRST(&m->log)) != NULL) {
		TAILQ_REMOVE(&m->log, e, entry);
		logent_free(e);
	}
	counters_clear(&m->by_path);
	counters_clear(&m->task_seen);
	m->requests = 0;
	m->connections = 0;
	m->max_in_flight = m->in_flight;
	send_body(req, 200, "OK", "application/json", "{\"ok\":true}\n", 12);
}

static void
not_found(struct evhttp_request *req, const char *why)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "{\"error\":");
	add_jstr(&b, why);
	buf_adds(&b, "}\n");
	send_body(req, 404, "Not Found", "application/json", b.p, b.len);
	buf_free(&b);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct mock *m = arg;
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	size_t plen = strcspn(uri, "?#");
	char *path = xstrndup(uri, plen);

	if (strncmp(path, "/_mock/", 7) != 0)
		(*counter_get(&m->by_path, path))++;
	if (strcmp(path, "/api/chat") == 0 && cmd == EVHTTP_REQ_POST)
		handle_chat(m, req, API_OLLAMA, path);
	else if (strcmp(path, "/v1/chat/completions") == 0 && cmd == EVHTTP_REQ_POST)
		handle_chat(m, req, API_OPENAI, path);
	else if (strcmp(path, "/api/tags") == 0 && cmd == EVHTTP_REQ_GET)
		handle_tags(m, req, API_OLLAMA);
	else if (strcmp(path, "/v1/models") == 0 && cmd == EVHTTP_REQ_GET)
		handle_tags(m, req, API_OPENAI);
	else if (strcmp(path, "/_mock/stats") == 0 && cmd == EVHTTP_REQ_GET)
		handle_stats(m, req);
	else if (strcmp(path, "/_mock/reset") == 0 && cmd == EVHTTP_REQ_POST)
		handle_reset(m, req);
	else
		not_found(req, "404 page not found");
	free(path);
}

/* ---- main */

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct mock *m = arg;

	(void)sig, (void)what;
	event_base_loopexit(m->base, NULL);
}

static int
write_port_file(const char *path, int port)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = -1;

	if (f != NULL) {
		fprintf(f, "%d\n", port);
		if (fclose(f) == 0 && rename(tmp, path) == 0)
			rc = 0;
	}
	free(tmp);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: mockhost [--port N] [--port-file FILE] [--host ADDR] [--model NAME]...\n"
	                "                [--latency MS] [--scale X] [--tokens N] [--api-key KEY] [--quiet]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "host", required_argument, NULL, 'H' },
		{ "model", required_argument, NULL, 'm' },
		{ "latency", required_argument, NULL, 'l' },
		{ "scale", required_argument, NULL, 's' },
		{ "tokens", required_argument, NULL, 't' },
		{ "api-key", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mock m;
	const char *host = "127.0.0.1", *port_file = NULL;
	int port = 0, c;
	struct evhttp_bound_socket *bound;
	struct event *sigterm, *sigint;
	struct mreq *r;
	struct logent *e;

	memset(&m, 0, sizeof m);
	m.scale = 1.0;
	m.tokens = 20;
	TAILQ_INIT(&m.by_path);
	TAILQ_INIT(&m.task_seen);
	TAILQ_INIT(&m.log);
	TAILQ_INIT(&m.conns);
	TAILQ_INIT(&m.live);
	while ((c = getopt_long(argc, argv, "p:f:H:m:l:s:t:k:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'f':
			port_file = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'm':
			m.models = xrealloc(m.models, (m.nmodels + 1) * sizeof *m.models);
			m.models[m.nmodels++] = xstrdup(optarg);
			break;
		case 'l':
			m.latency_ms = parse_ms(optarg);
			if (m.latency_ms < 0)
				usage();
			break;
		case 's':
			m.scale = atof(optarg);
			if (!(m.scale >= 0))
				usage();
			break;
		case 't':
			m.tokens = atoi(optarg);
			break;
		case 'k':
			m.api_key = xstrdup(optarg);
			break;
		case 'q':
			m.quiet = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	signal(SIGPIPE, SIG_IGN);
	m.t0 = now_mono_ns();
	m.base = event_base_new();
	m.http = evhttp_new(m.base);
	if (m.base == NULL || m.http == NULL) {
		fprintf(stderr, "mockhost: cannot set up libevent\n");
		return 1;
	}
	/* long replies (hang, slow) must not be cut by evhttp's own timeouts */
	evhttp_set_timeout(m.http, 3600);
	evhttp_set_allowed_methods(m.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(m.http, on_request, &m);
	bound = evhttp_bind_socket_with_handle(m.http, host, (ev_uint16_t)port);
	if (bound == NULL) {
		fprintf(stderr, "mockhost: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
		return 1;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	evutil_socket_t fd = evhttp_bound_socket_get_fd(bound);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	if (port_file != NULL && write_port_file(port_file, port) == -1) {
		fprintf(stderr, "mockhost: cannot write %s: %s\n", port_file, strerror(errno));
		return 1;
	}
	if (!m.quiet)
		fprintf(stderr, "mockhost: listening on %s:%d\n", host, port);
	sigterm = evsignal_new(m.base, SIGTERM, on_signal, &m);
	sigint = evsignal_new(m.base, SIGINT, on_signal, &m);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);

	event_base_dispatch(m.base);

	m.stopping = true;
	evhttp_free(m.http); /* closes connections; their requests go with them */
	while ((r = TAILQ_FIRST(&m.live)) != NULL) {
		TAILQ_REMOVE(&m.live, r, entry);
		mreq_free(r);
	}
	while ((e = TAILQ_FIRST(&m.log)) != NULL) {
		TAILQ_REMOVE(&m.log, e, entry);
		logent_free(e);
	}
	struct mconn *mc;
	while ((mc = TAILQ_FIRST(&m.conns)) != NULL) {
		TAILQ_REMOVE(&m.conns, mc, entry);
		free(mc);
	}
	counters_clear(&m.by_path);
	counters_clear(&m.task_seen);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(m.base);
	for (size_t i = 0; i < m.nmodels; i++)
		free(m.models[i]);
	free(m.models);
	free(m.api_key);
	return 0;
}
