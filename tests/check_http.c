/*
 * check_http.c - the curl-over-libevent client and the chat call, against a
 * running tests/mockhost: what comes back (content, token counts, the words of
 * each failure) and what the mock saw (requests, concurrency, connections, and
 * requests logged as "aborted" when we went away).
 */
#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

/* ---------------------------------------------------------------- harness */

struct loop {
	struct event_base *base;
	struct http *h;
	bool expired;
};

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;

	(void)fd, (void)what;
	l->expired = true;
	event_base_loopbreak(l->base);
}

/* Run the loop until *count reaches want or timeout seconds pass; false on timeout. */
static bool
run_until(struct loop *l, const int *count, int want, double timeout)
{
	struct event *t = evtimer_new(l->base, deadline_cb, l);
	struct timeval tv = { (time_t)timeout, (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6) };

	l->expired = false;
	evtimer_add(t, &tv);
	while ((count == NULL || *count < want) && !l->expired)
		event_base_loop(l->base, EVLOOP_ONCE);
	event_free(t);
	return !l->expired;
}

static void
loop_init(struct loop *l)
{
	l->base = event_base_new();
	l->h = http_new(l->base);
	ck_assert_ptr_nonnull(l->base);
	ck_assert_ptr_nonnull(l->h);
}

static void
loop_free(struct loop *l)
{
	http_free(l->h);
	event_base_free(l->base);
}

static pid_t
mock(int *port, const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *args[] = { "--quiet", "--model", "m1", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
	pid_t pid = tu_mock_start(port, args);

	ck_assert_msg(*port > 0, "mockhost did not start");
	return pid;
}

static struct json_object *
stats(int port)
{
	long status = 0;
	char *body = tu_http_get(port, "/_mock/stats", &status);
	struct json_object *o = json_tokener_parse(body);

	ck_assert_int_eq(status, 200);
	ck_assert_ptr_nonnull(o);
	free(body);
	return o;
}

static int64_t
stat_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s in stats", key);
	return json_object_get_int64(v);
}

/* Stats once nothing is in flight at the mock (it notices a client leaving a moment later). */
static struct json_object *
stats_idle(int port)
{
	for (int i = 0; i < 300; i++) {
		struct json_object *o = stats(port);
		if (stat_int(o, "in_flight") == 0)
			return o;
		json_object_put(o);
		tu_sleep(0.01);
	}
	ck_abort_msg("the mock still has requests in flight");
	return NULL;
}

/* The outcome the mock logged for a task id (NULL when not logged). */
static const char *
outcome_of(struct json_object *st, const char *task)
{
	struct json_object *log, *v;
	const char *found = NULL;

	ck_assert(json_object_object_get_ex(st, "log", &log));
	for (size_t i = 0; i < json_object_array_length(log); i++) {
		struct json_object *e = json_object_array_get_idx(log, i);
		if (json_object_object_get_ex(e, "task", &v) && json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), task) == 0 && json_object_object_get_ex(e, "outcome", &v))
			found = json_object_get_string(v);
	}
	return found;
}

/* A port nothing listens on. */
static int
closed_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* ---- raw http requests */

struct got {
	int calls;
	int data_calls;
	struct http_result res;
	char *error;
	struct buf body;
	struct http_req *req;
	bool cancel_in_data;
};

static int
got_data(const char *data, size_t len, void *arg)
{
	struct got *g = arg;

	g->data_calls++;
	buf_add(&g->body, data, len);
	if (g->cancel_in_data)
		http_cancel(g->req); /* from inside curl's write callback */
	return 0;
}

static void
got_done(const struct http_result *res, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->res = *res;
	g->error = res->error != NULL ? xstrdup(res->error) : NULL;
	g->res.error = g->error;
	g->res.content_type = NULL;
}

static char *
chat_body(const char *model, const char *text, bool stream)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "{\"model\":");
	json_append_string(&b, model, strlen(model));
	buf_adds(&b, ",\"messages\":[{\"role\":\"user\",\"content\":");
	json_append_string(&b, text, strlen(text));
	buf_printf(&b, "}],\"stream\":%s}", stream ? "true" : "false");
	return buf_steal(&b);
}

static struct http_req *
post(struct loop *l, int port, const char *path, const char *text, struct http_opts *o, struct got *g)
{
	char *url = xasprintf("http://127.0.0.1:%d%s", port, path);
	char *body = chat_body("m1", text, true);

	memset(g, 0, sizeof *g);
	buf_init(&g->body);
	o->method = "POST";
	o->url = url;
	o->body = body;
	o->body_len = strlen(body);
	g->req = http_start(l->h, o, got_data, got_done, g);
	ck_assert_ptr_nonnull(g->req);
	free(url);
	free(body);
	o->url = NULL;
	o->body = NULL;
	return g->req;
}

static void
got_free(struct got *g)
{
	free(g->error);
	buf_free(&g->body);
}

/* ---- chat calls */

struct answer {
	int calls;
	enum fail_class fail;
	char *content;
	size_t len;
	char *error;
	char *model;
	char *finish_reason;
	int64_t prompt_tokens, completion_tokens;
	double ttft, duration, retry_after;
	long status;
	bool done;
	int *counter;
	struct llm_call *call;
};

static void
answer_cb(struct ygg_reply *r, void *arg)
{
	struct answer *a = arg;

	a->calls++;
	a->fail = r->fail;
	a->content = xstrndup(r->content != NULL ? r->content : "", r->len);
	a->len = r->len;
	a->error = r->error != NULL ? xstrdup(r->error) : NULL;
	a->model = r->model != NULL ? xstrdup(r->model) : NULL;
	a->finish_reason = r->finish_reason != NULL ? xstrdup(r->finish_reason) : NULL;
	a->prompt_tokens = r->prompt_tokens;
	a->completion_tokens = r->completion_tokens;
	a->ttft = r->ttft;
	a->duration = r->duration;
	a->retry_after = r->retry_after;
	a->status = r->status;
	a->done = r->done;
	if (a->counter != NULL)
		(*a->counter)++;
	/* the call ends with this callback: cancelling it now must be harmless */
	llm_call_cancel(a->call);
}

static void
answer_free(struct answer *a)
{
	free(a->content);
	free(a->error);
	free(a->model);
	free(a->finish_reason);
}

struct host_setup {
	struct host_conf conf;
	char url[64];
};

static void
host_init(struct host_setup *hs, enum api_kind api, int port, const char *model)
{
	memset(hs, 0, sizeof *hs);
	snprintf(hs->url, sizeof hs->url, "http://127.0.0.1:%d", port);
	hs->conf.name = "skadi-code";
	hs->conf.url = hs->url;
	hs->conf.api = api;
	hs->conf.model = (char *)model;
	hs->conf.slots = 2;
	hs->conf.connect_timeout = 2;
	hs->conf.idle_timeout = 10;
}

static struct llm_call *
chat(struct loop *l, const struct host_conf *host, const char *system, const char *user, const char *api_key,
    double total, size_t max_bytes, struct answer *a)
{
	struct ygg_request req;
	struct llm_call_opts o = { .host = host, .api_key = api_key, .total_timeout = total, .max_bytes = max_bytes };
	memset(a, 0, sizeof *a);
	request_init(&req);
	if (system != NULL)
		req.system = xstrdup(system);
	req.msgs = xcalloc(1, sizeof *req.msgs);
	req.msgs[0].role = xstrdup("user");
	req.msgs[0].content = xstrdup(user);
	req.nmsgs = 1;
	a->call = llm_call_start(l->h, &o, &req, answer_cb, a);
	request_clear(&req);
	ck_assert_ptr_nonnull(a->call);
	return a->call;
}

/* ---------------------------------------------------------------- streaming calls */

static const enum api_kind apis[] = { API_OLLAMA, API_OPENAI };

START_TEST(test_chat_stream)
{
	struct loop l;
	struct host_setup hs;
	struct answer a;
	int port;
	pid_t pid = mock(&port, "--tokens", "7", "--latency", "150");

	loop_init(&l);
	host_init(&hs, apis[_i], port, "m1");
	chat(&l, &hs.conf, "You are helpful.", "Task: t1\nTitle: say hello\n\nPlease.", NULL, 0, 0, &a);
	ck_assert(run_until(&l, &a.calls, 1, 10));
	ck_assert_msg(a.fail == FAIL_NONE, "fail %s: %s", fail_class_name(a.fail), a.error);
	ck_assert_ptr_null(a.error);
	ck_assert_str_eq(a.content, "Result for t1: the work is done and checked.\n");
	ck_assert_int_eq(a.completion_tokens, 7);
	ck_assert_int_gt(a.prompt_tokens, 0);
	ck_assert_str_eq(a.model, "m1");
	ck_assert_str_eq(a.finish_reason, "stop");
	ck_assert(a.done);
	ck_assert_int_eq(a.status, 200);
	/* the reply was spread over 150 ms: the first piece came well before the end */
	ck_assert_msg(a.duration >= 0.14, "duration %g", a.duration);
	ck_assert_msg(a.ttft >= 0.0 && a.ttft < a.duration, "ttft %g duration %g", a.ttft, a.duration);
	ck_assert(a.retry_after < 0);
	ck_assert_uint_eq(http_in_flight(l.h), 0);
	answer_free(&a);

	/* a forced reply text arrives byte for byte; a code-minded system prompt gets a file block */
	chat(&l, &hs.conf, NULL, "Task: t2\n[mock reply=RXhhY3QgdGV4dCDinJMKc2Vjb25kIGxpbmU= tokens=4]", NULL, 0, 0, &a);
	ck_assert(run_until(&l, &a.calls, 1, 10));
	ck_assert_int_eq(a.fail, FAIL_NONE);
	ck_assert_str_eq(a.content, "Exact text \xe2\x9c\x93\nsecond line");
	ck_assert_int_eq(a.completion_tokens, 4);
	answer_free(&a);
	chat(&l, &hs.conf, "You write code. Put each file in a fenced block.", "Task: bd-7.2\nTitle: x", NULL, 0, 0,
	    &a);
	ck_assert(run_until(&l, &a.calls, 1, 10));
	ck_assert_int_eq(a.fail, FAIL_NONE);
	ck_assert_msg(strstr(a.content, "```python file=src/bd-7.2.py\n") != NULL, "%s", a.content);
	answer_free(&a);

	struct json_object *st = stats_idle(port);
	ck_assert_int_eq(stat_int(st, "requests"), 3);
	ck_assert_str_eq(outcome_of(st, "t1"), "ok");
	ck_assert_str_eq(outcome_of(st, "t2"), "ok");
	json_object_put(st);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

/* 20 calls at once through 4 connections: all answered, never more than 4 at the host, connections reused. */
START_TEST(test_concurrent)
{
	struct loop l;
	struct host_setup hs;
	struct answer a[20];
	char prompt[64], want[64];
	int port, done = 0;
	pid_t pid = mock(&port, "--tokens", "5", "--latency", "200");

	loop_init(&l);
	http_set_max_host_connections(l.h, 4);
	host_init(&hs, apis[_i], port, "m1");
	for (int i = 0; i < 20; i++) {
		snprintf(prompt, sizeof prompt, "Task: c%d\nTitle: many", i);
		chat(&l, &hs.conf, NULL, prompt, NULL, 0, 0, &a[i]);
		a[i].counter = &done;
	}
	ck_assert_uint_eq(http_in_flight(l.h), 20);
	ck_assert(run_until(&l, &done, 20, 20));
	for (int i = 0; i < 20; i++) {
		snprintf(want, sizeof want, "Result for c%d: ", i);
		ck_assert_int_eq(a[i].calls, 1);
		ck_assert_msg(a[i].fail == FAIL_NONE, "c%d: %s", i, a[i].error);
		ck_assert_msg(strncmp(a[i].content, want, strlen(want)) == 0, "c%d: %s", i, a[i].content);
		ck_assert_int_eq(a[i].completion_tokens, 5);
		answer_free(&a[i]);
	}
	ck_assert_uint_eq(http_in_flight(l.h), 0);
	struct json_object *st = stats_idle(port);
	ck_assert_int_eq(stat_int(st, "requests"), 20);
	ck_assert_int_eq(stat_int(st, "max_in_flight"), 4);
	ck_assert_msg(stat_int(st, "connections") <= 4, "%lld connections", (long long)stat_int(st, "connections"));
	json_object_put(st);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

/* ---------------------------------------------------------------- timeouts and caps */

START_TEST(test_idle_timeout)
{
	struct loop l;
	struct got g;
	struct http_opts o = { .idle_timeout = 0.3, .total_timeout = 10, .connect_timeout = 2 };
	int port;
	pid_t pid = mock(&port, NULL, NULL, NULL, NULL);

	loop_init(&l);
	post(&l, port, "/api/chat", "Task: hang1\n[mock fault=hang]", &o, &g);
	ck_assert(run_until(&l, &g.calls, 1, 5));
	ck_assert_int_eq(g.res.curl_code, 28);
	ck_assert(g.res.timed_out);
	ck_assert(g.res.idle_timed_out);
	ck_assert(g.res.connected);
	ck_assert_int_eq(g.res.status, 200); /* the headers came, then nothing */
	ck_assert_str_eq(g.error, "no data for 0.3 s");
	ck_assert_msg(g.res.elapsed >= 0.29 && g.res.elapsed < 3, "elapsed %g", g.res.elapsed);
	got_free(&g);

	/* the same through a chat call, in words for the task */
	struct host_setup hs;
	struct answer a;
	host_init(&hs, API_OLLAMA, port, "m1");
	hs.conf.idle_timeout = 0.3;
	chat(&l, &hs.conf, NULL, "Task: hang2\n[mock fault=hang]", NULL, 0, 0, &a);
	ck_assert(run_until(&l, &a.calls, 1, 5));
	ck_assert_int_eq(a.fail, FAIL_TRANSIENT);
	char *want = xasprintf("skadi-code: no data for 0.3 s (the server at %s stopped sending)", hs.url);
	ck_assert_str_eq(a.error, want);
	free(want);
	answer_free(&a);

	struct json_object *st = stats_idle(port);
	ck_assert_str_eq(outcome_of(st, "hang1"), "aborted");
	ck_assert_str_eq(outcome_of(st, "hang2"), "aborted");
	json_object_put(st);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

/* A byte every 50 ms (fault=slow at --scale 0.25) keeps a 0.5 s idle timer quiet; the total timeout ends it. */
START_TEST(test_idle_rearmed_by_bytes)
{
	struct loop l;
	struct got g;
	struct http_opts o = { .idle_timeout = 0.5, .total_timeout = 1.0 };
	int port;
	pid_t pid = mock(&port, "--scale", "0.25", NULL, NULL);

	loop_init(&l);
	post(&l, port, "/api/chat", "Task: slow1\n[mock fault=slow]", &o, &g);
	ck_assert(run_until(&l, &g.calls, 1, 5));
	ck_assert_int_eq(g.res.curl_code, 28);
	ck_assert(g.res.timed_out);
	ck_assert_msg(!g.res.idle_timed_out, "idle timer fired after %g s with %zu bytes", g.res.elapsed, g.body.len);
	ck_assert_str_eq(g.error, "no complete reply within 1 s");
	ck_assert_msg(g.body.len >= 5 && g.body.len <= 21, "%zu bytes", g.body.len);
	ck_assert_uint_eq(g.data_calls, g.body.len); /* they did come one at a time */
	got_free(&g);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

START_TEST(test_total_timeout)
{
	struct loop l;
	struct got g;
	struct http_opts o = { .idle_timeout = 10, .total_timeout = 0.5 };
	int port;
	pid_t pid = mock(&port, NULL, NULL, NULL, NULL);

	loop_init(&l);
	post(&l, port, "/api/chat", "Task: long1\n[mock latency=5s]", &o, &g);
	ck_assert(run_until(&l, &g.calls, 1, 5));
	ck_assert_int_eq(g.res.curl_code, 28);
	ck_assert(g.res.timed_out);
	ck_assert(!g.res.idle_timed_out);
	ck_assert_str_eq(g.error, "no complete reply within 0.5 s");
	ck_assert_msg(g.res.elapsed >= 0.49 && g.res.elapsed < 2, "elapsed %g", g.res.elapsed);
	got_free(&g);

	struct host_setup hs;
	struct answer a;
	host_init(&hs, API_OPENAI, port, "m1");
	chat(&l, &hs.conf, NULL, "Task: long2\n[mock latency=5s]", NULL, 0.4, 0, &a);
	ck_assert(run_until(&l, &a.calls, 1, 5));
	ck_assert_int_eq(a.fail, FAIL_TRANSIENT);
	char *want = xasprintf("skadi-code: no complete reply within 0.4 s (%s is too slow for the timeout)", hs.url);
	ck_assert_str_eq(a.error, want);
	free(want);
	answer_free(&a);
	json_object_put(stats_idle(port));
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

START_TEST(test_max_bytes)
{
	struct loop l;
	struct got g;
	struct http_opts o = { .idle_timeout = 5, .total_timeout = 10, .max_bytes = 200000 };
	int port;
	pid_t pid = mock(&port, NULL, NULL, NULL, NULL);

	loop_init(&l);
	post(&l, port, "/api/chat", "Task: huge1\n[mock fault=huge]", &o, &g);
	ck_assert(run_until(&l, &g.calls, 1, 10));
	ck_assert(g.res.too_large);
	ck_assert_int_ne(g.res.curl_code, 0);
	ck_assert_str_eq(g.error, "reply larger than 200000 bytes");
	ck_assert_uint_le(g.body.len, 200000);
	ck_assert_uint_gt(g.body.len, 150000);
	got_free(&g);

	for (size_t i = 0; i < 2; i++) {
		struct host_setup hs;
		struct answer a;
		host_init(&hs, apis[i], port, "m1");
		chat(&l, &hs.conf, NULL, i == 0 ? "Task: huge2\n[mock fault=huge]" : "Task: huge3\n[mock fault=huge]", NULL,
		    0, 10000, &a);
		ck_assert(run_until(&l, &a.calls, 1, 10));
		ck_assert_int_eq(a.fail, FAIL_PERMANENT);
		ck_assert_str_eq(a.error, "skadi-code: reply larger than 10000 bytes (max_response_bytes)");
		answer_free(&a);
	}
	struct json_object *st = stats_idle(port);
	ck_assert_str_eq(outcome_of(st, "huge1"), "aborted");
	ck_assert_str_eq(outcome_of(st, "huge2"), "aborted");
	ck_assert_str_eq(outcome_of(st, "huge3"), "aborted");
	json_object_put(st);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

/* ---------------------------------------------------------------- cancellation */

struct canceller {
	struct llm_call *call;
	struct http_req *req;
};

static void
cancel_cb(evutil_socket_t fd, short what, void *arg)
{
	struct canceller *c = arg;

	(void)fd, (void)what;
	llm_call_cancel(c->call);
	http_cancel(c->req);
}

START_TEST(test_cancel)
{
	struct loop l;
	struct host_setup hs;
	struct answer a;
	struct canceller c = { NULL, NULL };
	struct timeval tv = { 0, 400000 };
	int port;
	pid_t pid = mock(&port, "--tokens", "10", NULL, NULL);

	loop_init(&l);
	host_init(&hs, apis[_i], port, "m1");
	c.call = chat(&l, &hs.conf, NULL, "Task: gone1\n[mock latency=3s]", NULL, 0, 0, &a);
	struct event *ev = evtimer_new(l.base, cancel_cb, &c);
	evtimer_add(ev, &tv);
	run_until(&l, NULL, 0, 0.3);
	/* while it streams, the mock counts it in flight */
	struct json_object *st = stats(port);
	ck_assert_int_eq(stat_int(st, "in_flight"), 1);
	json_object_put(st);
	run_until(&l, NULL, 0, 0.6);
	ck_assert_int_eq(a.calls, 0); /* never called back */
	ck_assert_uint_eq(http_in_flight(l.h), 0);
	st = stats_idle(port);
	ck_assert_str_eq(outcome_of(st, "gone1"), "aborted");
	ck_assert_int_eq(stat_int(st, "max_in_flight"), 1);
	json_object_put(st);
	event_free(ev);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

/* Cancelling from inside the data callback (inside curl) works the same. */
START_TEST(test_cancel_in_data_cb)
{
	struct loop l;
	struct got g;
	struct http_opts o = { .idle_timeout = 5 };
	int port;
	pid_t pid = mock(&port, "--tokens", "10", NULL, NULL);

	loop_init(&l);
	post(&l, port, "/api/chat", "Task: gone2\n[mock latency=2s]", &o, &g);
	g.cancel_in_data = true;
	run_until(&l, NULL, 0, 1.0);
	ck_assert_int_eq(g.calls, 0);
	ck_assert_int_eq(g.data_calls, 1);
	ck_assert_uint_eq(http_in_flight(l.h), 0);
	struct json_object *st = stats_idle(port);
	ck_assert_str_eq(outcome_of(st, "gone2"), "aborted");
	json_object_put(st);
	got_free(&g);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

/* A done callback may cancel another request and start a new one. */
struct juggle {
	struct got a; /* first: got_data gets the juggle as request a's struct got */
	struct got b, c;
	struct loop *l;
	int port;
	struct http_opts o;
	int finished;
};

static void
juggle_done_a(const struct http_result *res, void *arg)
{
	struct juggle *j = arg;

	got_done(res, &j->a);
	http_cancel(j->b.req);
	post(j->l, j->port, "/api/chat", "Task: jc\n[mock latency=100ms]", &j->o, &j->c);
	j->finished++;
}

START_TEST(test_reentrant_callbacks)
{
	struct loop l;
	struct juggle j;
	int port;
	pid_t pid = mock(&port, NULL, NULL, NULL, NULL);
	char *url = xasprintf("http://127.0.0.1:%d/api/chat", port);
	char *body = chat_body("m1", "Task: ja\n[mock latency=100ms]", true);

	loop_init(&l);
	memset(&j, 0, sizeof j);
	j.l = &l;
	j.port = port;
	j.o.idle_timeout = 5;
	post(&l, port, "/api/chat", "Task: jb\n[mock latency=3s]", &j.o, &j.b);
	struct http_opts oa = { .method = "POST", .url = url, .body = body, .body_len = strlen(body), .idle_timeout = 5 };
	buf_init(&j.a.body);
	j.a.req = http_start(l.h, &oa, got_data, juggle_done_a, &j);
	ck_assert(run_until(&l, &j.finished, 1, 5));
	ck_assert(run_until(&l, &j.c.calls, 1, 5));
	ck_assert_int_eq(j.a.calls, 1);
	ck_assert_int_eq(j.a.res.status, 200);
	ck_assert_int_eq(j.c.res.status, 200);
	ck_assert_int_eq(j.b.calls, 0);
	ck_assert_msg(strstr(j.c.body.p, "\"done\":true") != NULL, "%s", j.c.body.p);
	struct json_object *st = stats_idle(port);
	ck_assert_str_eq(outcome_of(st, "jb"), "aborted");
	json_object_put(st);
	got_free(&j.a);
	got_free(&j.b);
	got_free(&j.c);
	free(url);
	free(body);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

/* http_free aborts what is outstanding without a word; also when called from a done callback. */
static void
free_in_done(const struct http_result *res, void *arg)
{
	struct loop *l = arg;

	(void)res;
	http_free(l->h);
	l->h = NULL;
}

START_TEST(test_free_outstanding)
{
	struct loop l;
	struct got g[3];
	struct http_opts o = { .idle_timeout = 5 };
	int port;
	pid_t pid = mock(&port, NULL, NULL, NULL, NULL);

	loop_init(&l);
	post(&l, port, "/api/chat", "Task: f1\n[mock latency=3s]", &o, &g[0]);
	post(&l, port, "/v1/chat/completions", "Task: f2\n[mock latency=3s]", &o, &g[1]);
	post(&l, port, "/api/chat", "Task: f3\n[mock fault=hang]", &o, &g[2]);
	run_until(&l, NULL, 0, 0.3);
	http_free(l.h);
	l.h = NULL;
	event_base_free(l.base);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(g[i].calls, 0);
		got_free(&g[i]);
	}
	struct json_object *st = stats_idle(port);
	ck_assert_str_eq(outcome_of(st, "f1"), "aborted");
	ck_assert_str_eq(outcome_of(st, "f3"), "aborted");
	json_object_put(st);

	/* from inside a done callback, with another request still going */
	loop_init(&l);
	char *url = xasprintf("http://127.0.0.1:%d/api/chat", port);
	char *body = chat_body("m1", "Task: f4", true);
	struct http_opts oa = { .method = "POST", .url = url, .body = body, .body_len = strlen(body) };
	post(&l, port, "/api/chat", "Task: f5\n[mock latency=3s]", &o, &g[0]);
	ck_assert_ptr_nonnull(http_start(l.h, &oa, NULL, free_in_done, &l));
	int dummy = 0;
	run_until(&l, &dummy, 1, 0.5);
	ck_assert_ptr_null(l.h);
	ck_assert_int_eq(g[0].calls, 0);
	got_free(&g[0]);
	event_base_free(l.base);
	free(url);
	free(body);
	st = stats_idle(port);
	ck_assert_str_eq(outcome_of(st, "f4"), "ok");
	ck_assert_str_eq(outcome_of(st, "f5"), "aborted");
	json_object_put(st);
	tu_mock_stop(pid);
}
END_TEST

/* ---------------------------------------------------------------- failures */

START_TEST(test_refused)
{
	struct loop l;
	struct got g;
	struct http_opts o = { .connect_timeout = 2 };
	int port = closed_port();

	loop_init(&l);
	post(&l, port, "/api/chat", "Task: r1", &o, &g);
	ck_assert(run_until(&l, &g.calls, 1, 5));
	ck_assert_int_eq(g.res.curl_code, 7);
	ck_assert_int_eq(g.res.os_errno, ECONNREFUSED);
	ck_assert_int_eq(g.res.status, 0);
	ck_assert(!g.res.connected);
	ck_assert(!g.res.timed_out);
	ck_assert_str_eq(g.error, "connection refused");
	got_free(&g);

	struct host_setup hs;
	struct answer a;
	host_init(&hs, API_OLLAMA, port, "m1");
	chat(&l, &hs.conf, NULL, "Task: r2", NULL, 0, 0, &a);
	ck_assert(run_until(&l, &a.calls, 1, 5));
	ck_assert_int_eq(a.fail, FAIL_TRANSIENT);
	char *want = xasprintf("skadi-code: connection refused (is the server running at http://127.0.0.1:%d?)", port);
	ck_assert_str_eq(a.error, want);
	free(want);
	answer_free(&a);
	loop_free(&l);
}
END_TEST

START_TEST(test_retry_after)
{
	struct loop l;
	struct got g;
	struct http_opts o = { .idle_timeout = 5 };
	int port;
	pid_t pid = mock(&port, NULL, NULL, NULL, NULL);

	loop_init(&l);
	post(&l, port, "/api/chat", "Task: ra1\n[mock fault=429 retry_after=7]", &o, &g);
	ck_assert(run_until(&l, &g.calls, 1, 5));
	ck_assert_int_eq(g.res.status, 429);
	ck_assert_int_eq(g.res.curl_code, 0);
	ck_assert_msg(g.res.retry_after == 7, "retry_after %g", g.res.retry_after);
	got_free(&g);

	/* as an HTTP date, 30 s ahead */
	post(&l, port, "/api/chat", "Task: ra2\n[mock fault=503 retry_after_date=30]", &o, &g);
	ck_assert(run_until(&l, &g.calls, 1, 5));
	ck_assert_int_eq(g.res.status, 503);
	ck_assert_msg(g.res.retry_after >= 27 && g.res.retry_after <= 31, "retry_after %g", g.res.retry_after);
	got_free(&g);

	/* none given */
	post(&l, port, "/api/chat", "Task: ra3\n[mock fault=503]", &o, &g);
	ck_assert(run_until(&l, &g.calls, 1, 5));
	ck_assert(g.res.retry_after < 0);
	got_free(&g);

	/* and what the task sees */
	struct host_setup hs;
	struct answer a;
	host_init(&hs, API_OPENAI, port, "m1");
	chat(&l, &hs.conf, NULL, "Task: ra4\n[mock fault=429 retry_after=3]", NULL, 0, 0, &a);
	ck_assert(run_until(&l, &a.calls, 1, 5));
	ck_assert_int_eq(a.fail, FAIL_TRANSIENT);
	ck_assert(a.retry_after == 3);
	ck_assert_int_eq(a.status, 429);
	ck_assert_str_eq(a.error, "skadi-code: the server is rate limiting requests (HTTP 429): Rate limit reached for "
	                          "requests; retry after 3 s");
	answer_free(&a);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

static const struct {
	const char *directive;
	const char *model; /* what the host asks for */
	enum fail_class want;
	const char *error; /* after "skadi-code: "; "%s" is the URL; NULL = no error, empty content; "" = no error, content */
} faults[] = {
	{ "[mock fault=500]", "m1", FAIL_TRANSIENT,
	    "server error (HTTP 500): The server had an error while processing your request." },
	{ "[mock fault=503]", "m1", FAIL_TRANSIENT, "the server is unavailable (HTTP 503): " },
	{ "[mock fault=400]", "m1", FAIL_PERMANENT,
	    "the server rejected the request (HTTP 400): mock: invalid request (fault=400)" },
	{ "[mock fault=404]", "m1", FAIL_MODEL_MISSING, "model \"m1\" is not available on this host (HTTP 404): " },
	{ "", "m2", FAIL_MODEL_MISSING, "model \"m2\" is not available on this host (HTTP 404): " },
	{ "[mock fault=garbage]", "m1", FAIL_TRANSIENT,
	    "unparseable reply from the server: <html><body>this is not JSON: 502 from the mock's pretend proxy</body></html>" },
	{ "[mock fault=truncate]", "m1", FAIL_TRANSIENT,
	    "the reply ended before the server said it was done (truncated)" },
	{ "[mock fault=reset]", "m1", FAIL_TRANSIENT, "connection reset by the server (%s)" },
	{ "[mock fault=empty]", "m1", FAIL_NONE, NULL },
	/* everything arrived, done included, then the connection broke: the reply is whole */
	{ "[mock fault=abrupt_end tokens=3]", "m1", FAIL_NONE, "" },
	{ "[mock fault=500 times=1]", "m1", FAIL_TRANSIENT, "server error (HTTP 500): " },
};

START_TEST(test_chat_faults)
{
	struct loop l;
	int port;
	pid_t pid = mock(&port, "--latency", "50", NULL, NULL);

	loop_init(&l);
	for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
		struct host_setup hs;
		struct answer a;
		char *prompt = xasprintf("Task: f%zu\nTitle: fault\n\n%s", i, faults[i].directive);
		host_init(&hs, apis[_i], port, faults[i].model);
		chat(&l, &hs.conf, NULL, prompt, NULL, 0, 0, &a);
		ck_assert(run_until(&l, &a.calls, 1, 5));
		ck_assert_msg(a.fail == faults[i].want, "%s %s: %s (%s), want %s", api_kind_name(apis[_i]),
		    faults[i].directive, fail_class_name(a.fail), a.error, fail_class_name(faults[i].want));
		if (faults[i].error == NULL) {
			ck_assert_ptr_null(a.error);
			ck_assert_str_eq(a.content, "");
			ck_assert(a.done);
		} else if (*faults[i].error == '\0') {
			ck_assert_ptr_null(a.error);
			char *want = xasprintf("Result for f%zu: the work.\n", i);
			ck_assert_str_eq(a.content, want);
			free(want);
			ck_assert(a.done);
			ck_assert_int_eq(a.completion_tokens, 3);
		} else {
			char *tail = xasprintf(faults[i].error, hs.url);
			char *want = xasprintf("skadi-code: %s", tail);
			ck_assert_msg(a.error != NULL && strncmp(a.error, want, strlen(want)) == 0, "%s %s:\n  %s\nwant\n  %s",
			    api_kind_name(apis[_i]), faults[i].directive, a.error, want);
			free(tail);
			free(want);
		}
		answer_free(&a);
		free(prompt);
	}
	/* times=1: the same task's second request goes through */
	{
		struct host_setup hs;
		struct answer a;
		char *prompt = xasprintf("Task: f%zu\nTitle: fault\n\n[mock fault=500 times=1]", sizeof faults / sizeof faults[0] - 1);
		host_init(&hs, apis[_i], port, "m1");
		chat(&l, &hs.conf, NULL, prompt, NULL, 0, 0, &a);
		ck_assert(run_until(&l, &a.calls, 1, 5));
		ck_assert_msg(a.fail == FAIL_NONE, "%s", a.error);
		answer_free(&a);
		free(prompt);
	}
	json_object_put(stats_idle(port));
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

START_TEST(test_api_key)
{
	struct loop l;
	struct host_setup hs;
	struct answer a;
	int port;
	pid_t pid = mock(&port, "--api-key", "sekrit", NULL, NULL);

	loop_init(&l);
	host_init(&hs, API_OPENAI, port, "m1");
	chat(&l, &hs.conf, NULL, "Task: k1", NULL, 0, 0, &a);
	ck_assert(run_until(&l, &a.calls, 1, 5));
	ck_assert_int_eq(a.fail, FAIL_PERMANENT);
	ck_assert_str_eq(a.error, "skadi-code: the server refused the credentials (HTTP 401): Incorrect API key provided. "
	                          "(check api_key_env or api_key_file)");
	answer_free(&a);
	chat(&l, &hs.conf, NULL, "Task: k2", "wrong", 0, 0, &a);
	ck_assert(run_until(&l, &a.calls, 1, 5));
	ck_assert_int_eq(a.fail, FAIL_PERMANENT);
	answer_free(&a);
	chat(&l, &hs.conf, NULL, "Task: k3", "sekrit", 0, 0, &a);
	ck_assert(run_until(&l, &a.calls, 1, 5));
	ck_assert_msg(a.fail == FAIL_NONE, "%s", a.error);
	answer_free(&a);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

/* The health probe's GET and what it says about the model. */
START_TEST(test_probe)
{
	struct loop l;
	int port;
	pid_t pid = mock(&port, "--model", "qwen2.5-coder:7b", NULL, NULL);

	loop_init(&l);
	for (size_t i = 0; i < 2; i++) {
		struct got g;
		char *url = xasprintf("http://127.0.0.1:%d%s", port, llm_probe_path(apis[i]));
		struct http_opts o = { .method = "GET", .url = url, .total_timeout = 5 };
		memset(&g, 0, sizeof g);
		buf_init(&g.body);
		ck_assert_ptr_nonnull(http_start(l.h, &o, got_data, got_done, &g));
		ck_assert(run_until(&l, &g.calls, 1, 5));
		ck_assert_int_eq(g.res.status, 200);
		ck_assert_int_eq(llm_probe_has_model(apis[i], g.body.p, g.body.len, "qwen2.5-coder:7b"), 1);
		ck_assert_int_eq(llm_probe_has_model(apis[i], g.body.p, g.body.len, "m1"), 1);
		ck_assert_int_eq(llm_probe_has_model(apis[i], g.body.p, g.body.len, "llama3"), 0);
		got_free(&g);
		free(url);
	}
	/* probes are not chat requests */
	struct json_object *st = stats(port);
	ck_assert_int_eq(stat_int(st, "requests"), 0);
	json_object_put(st);
	loop_free(&l);
	tu_mock_stop(pid);
}
END_TEST

Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("stream");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_chat_stream, 0, 2);
	tcase_add_loop_test(tc, test_concurrent, 0, 2);
	tcase_add_test(tc, test_probe);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_idle_rearmed_by_bytes);
	tcase_add_test(tc, test_total_timeout);
	tcase_add_test(tc, test_max_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("cancel");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_cancel, 0, 2);
	tcase_add_test(tc, test_cancel_in_data_cb);
	tcase_add_test(tc, test_reentrant_callbacks);
	tcase_add_test(tc, test_free_outstanding);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_retry_after);
	tcase_add_loop_test(tc, test_chat_faults, 0, 2);
	tcase_add_test(tc, test_api_key);
	suite_add_tcase(s, tc);
	return s;
}
