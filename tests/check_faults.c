/*
 * check_faults.c - the fault matrix: every way an LLM host can fail (tests/mockhost
 * directives), run through the real yggd against a temporary tracker, and judged
 * by what a user sees: each task's final status, the words of its comment, and
 * how many requests the host saw for it. Then the two things retries must never
 * do (hold a slot while waiting) and host health (out after fail_threshold,
 * back after a probe, without a restart).
 */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

static const char *const api_names[] = { "ollama", "openai" };

/*
 * One row: a task whose description carries the mock directive, the handler it
 * goes to (by label), and what must come of it.
 */
struct fault_case {
	const char *id;
	const char *directive;
	/*
	 * routes it: "" general (host main), "text-processing" (host tight: the same
	 * server with a 0.5 s idle and a 1.5 s total timeout), "reasoning" (nomodel,
	 * main), "summarize" (nomodel)
	 */
	const char *label;
	const char *status;   /* final status in the tracker */
	int main_requests;    /* requests the server behind main and tight saw for it */
	int nomodel_requests; /* ... and the host without the model */
	const char *words[3]; /* in the last comment (blocked) or close_reason (closed) */
};

static const struct fault_case matrix[] = {
	/* transient, every time: exactly max_attempts = 3 requests, then blocked with the last reason */
	{ "x-429", "[mock fault=429 retry_after=1]", "", "blocked", 3, 0, { "3 attempts", "429", "rate limit" } },
	{ "x-500", "[mock fault=500]", "", "blocked", 3, 0, { "3 attempts", "HTTP 500", "server" } },
	{ "x-503", "[mock fault=503]", "", "blocked", 3, 0, { "3 attempts", "HTTP 503", "unavailable" } },
	{ "x-reset", "[mock fault=reset]", "", "blocked", 3, 0, { "3 attempts", "connection reset", NULL } },
	{ "x-garbage", "[mock fault=garbage]", "", "blocked", 3, 0, { "3 attempts", "unparseable", NULL } },
	{ "x-hang", "[mock fault=hang]", "text-processing", "blocked", 3, 0, { "3 attempts", "no data for 0.5 s", "stopped sending" } },
	{ "x-slow", "[mock fault=slow]", "text-processing", "blocked", 3, 0, { "3 attempts", "within 1.5 s", "too slow" } },
	{ "x-truncate", "[mock fault=truncate]", "", "blocked", 3, 0, { "3 attempts", "truncated", NULL } },
	{ "x-empty", "[mock fault=empty]", "", "blocked", 3, 0, { "3 attempts", "empty", NULL } },
	/* transient once: the second request succeeds */
	{ "o-429", "[mock fault=429 retry_after=1 times=1]", "", "closed", 2, 0, { "attempt 2", NULL, NULL } },
	{ "o-500", "[mock fault=500 times=1]", "", "closed", 2, 0, { "attempt 2", NULL, NULL } },
	{ "o-503", "[mock fault=503 times=1]", "", "closed", 2, 0, { "attempt 2", NULL, NULL } },
	{ "o-reset", "[mock fault=reset times=1]", "", "closed", 2, 0, { "attempt 2", NULL, NULL } },
	{ "o-garbage", "[mock fault=garbage times=1]", "", "closed", 2, 0, { "attempt 2", NULL, NULL } },
	{ "o-hang", "[mock fault=hang times=1]", "text-processing", "closed", 2, 0, { "attempt 2", NULL, NULL } },
	{ "o-slow", "[mock fault=slow times=1]", "text-processing", "closed", 2, 0, { "attempt 2", NULL, NULL } },
	{ "o-truncate", "[mock fault=truncate times=1]", "", "closed", 2, 0, { "attempt 2", NULL, NULL } },
	{ "o-empty", "[mock fault=empty times=1]", "", "closed", 2, 0, { "attempt 2", NULL, NULL } },
	/* permanent: blocked at once with the server's words */
	{ "p-400", "[mock fault=400]", "", "blocked", 1, 0, { "1 attempt)", "refused", "fault=400" } },
	{ "p-huge", "[mock fault=huge]", "", "blocked", 1, 0, { "1 attempt)", "cannot be used", "larger than 65536 bytes" } },
	/* 404 model: the next host in the list takes it; with no other host, blocked */
	{ "m-next", "", "reasoning", "closed", 1, 1, { "on main", "attempt 1", NULL } },
	{ "m-none", "", "summarize", "blocked", 0, 1, { "no host", "model", NULL } },
	/* a healthy task among them all */
	{ "ok", "", "", "closed", 1, 0, { "on main", "attempt 1", NULL } },
};

/*
 * Every row of the matrix in one drain (they run side by side: 32 slots), once
 * per API. fail_threshold is high so that classification alone is tested here.
 * Only the timeout rows go to the host with tight timeouts, so a loaded machine
 * (sanitizers, CI) does not time out the others.
 */
START_TEST(test_fault_matrix)
{
	const char *api = api_names[_i];
	struct tu_env e;
	int im, in;
	FILE *f;

	tu_env_init(&e);
	im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", NULL });
	in = tu_env_mock(&e, 0, (char *const[]){ "--model", "other", NULL });
	ck_assert(im >= 0 && in >= 0);
	char *sections = xasprintf(
	    "[host.main]\nurl = http://127.0.0.1:%d\napi = %s\nmodel = m\nslots = 32\nidle_timeout = 10\n\n"
	    "[host.tight]\nurl = http://127.0.0.1:%d\napi = %s\nmodel = m\nslots = 8\nidle_timeout = 0.5\n\n"
	    "[host.nomodel]\nurl = http://127.0.0.1:%d\napi = %s\nmodel = m\nslots = 4\n\n"
	    "[handler.general]\nhosts = main\ndefault = yes\n\n"
	    "[handler.text-processing]\nhosts = tight\ntimeout = 1.5\n\n"
	    "[handler.reasoning]\nhosts = nomodel, main\n\n"
	    "[handler.summarize]\nhosts = nomodel\n",
	    e.port[im], api, e.port[im], api, e.port[in], api);
	tu_env_config(&e, "max_attempts = 3\nmax_response_bytes = 64k\n", sections);
	free(sections);
	f = fopen(e.tracker, "w");
	for (size_t i = 0; i < sizeof matrix / sizeof matrix[0]; i++) {
		char *desc = xasprintf("Fault case %s. %s", matrix[i].id, matrix[i].directive);
		char *labels = *matrix[i].label != '\0' ? xasprintf("\"ygg:%s\"", matrix[i].label) : xstrdup("");
		tu_issue(f, matrix[i].id, "Answer the question", desc, "open", 1, labels, "");
		free(desc);
		free(labels);
	}
	fclose(f);

	ck_assert_int_eq(tu_env_drain(&e, 60), 0);

	struct json_object *t = tu_tracker_load(e.tracker);
	struct json_object *sm = tu_mock_stats(e.port[im]), *sn = tu_mock_stats(e.port[in]);
	ck_assert_ptr_nonnull(sm);
	ck_assert_ptr_nonnull(sn);
	for (size_t i = 0; i < sizeof matrix / sizeof matrix[0]; i++) {
		const struct fault_case *c = &matrix[i];
		const char *status = tu_issue_field(t, c->id, "status");
		bool closed = strcmp(c->status, "closed") == 0;
		const char *text = closed ? tu_issue_field(t, c->id, "close_reason") : tu_issue_comment(t, c->id, -1);

		ck_assert_msg(status != NULL && strcmp(status, c->status) == 0, "%s %s: status %s, want %s", api, c->id,
		    status, c->status);
		ck_assert_msg(tu_mock_count(sm, c->id, NULL) == c->main_requests, "%s %s: main saw %d requests, want %d",
		    api, c->id, tu_mock_count(sm, c->id, NULL), c->main_requests);
		ck_assert_msg(tu_mock_count(sn, c->id, NULL) == c->nomodel_requests,
		    "%s %s: nomodel saw %d requests, want %d", api, c->id, tu_mock_count(sn, c->id, NULL),
		    c->nomodel_requests);
		ck_assert_msg(text != NULL, "%s %s: no %s", api, c->id, closed ? "close_reason" : "comment");
		for (size_t w = 0; w < 3 && c->words[w] != NULL; w++)
			ck_assert_msg(strstr(text, c->words[w]) != NULL, "%s %s: \"%s\" not in \"%s\"", api, c->id, c->words[w],
			    text);
		if (closed) {
			/* one result comment, the reply's text */
			ck_assert_int_eq(tu_issue_ncomments(t, c->id), 1);
			ck_assert_ptr_nonnull(strstr(tu_issue_comment(t, c->id, 0), c->id));
		} else {
			/* one comment that says why; the API key or prompt is not in it */
			ck_assert_int_eq(tu_issue_ncomments(t, c->id), 1);
			ck_assert_ptr_nonnull(strstr(text, "could not complete"));
		}
	}
	/* Retry-After: 1 was honoured: the retry started at least 1 s after the first try */
	long long a0 = tu_mock_start_ms(sm, "o-429", 0), a1 = tu_mock_start_ms(sm, "o-429", 1);
	ck_assert_msg(a0 >= 0 && a1 - a0 >= 1000, "o-429 retried after %lld ms", a1 - a0);
	for (int k = 1; k < 3; k++) {
		a0 = tu_mock_start_ms(sm, "x-429", k - 1);
		a1 = tu_mock_start_ms(sm, "x-429", k);
		ck_assert_msg(a1 - a0 >= 1000, "x-429 attempt %d after %lld ms", k + 1, a1 - a0);
	}
	/* timed-out requests were cut on the wire: the mock saw the client leave */
	ck_assert_int_eq(tu_mock_count(sm, "x-hang", "aborted"), 3);
	ck_assert_int_eq(tu_mock_count(sm, "x-slow", "aborted"), 3);
	ck_assert_int_eq(tu_mock_count(sm, "p-huge", "aborted"), 1);
	/* the 404 was the model-missing kind, on the host without the model */
	ck_assert_int_eq(tu_mock_count(sn, "m-next", "model_missing"), 1);
	/* the daemon said what it did, naming the task and host */
	char *log = tu_read_file(e.log, NULL);
	ck_assert_ptr_nonnull(strstr(log, "task=x-500 blocked host=main attempt=3"));
	ck_assert_ptr_nonnull(strstr(log, "task=m-next host=nomodel does not have model m"));
	free(log);
	ck_assert_int_eq(tu_tracker_in_progress(e.tracker, NULL), 0);
	json_object_put(sm);
	json_object_put(sn);
	json_object_put(t);
	tu_env_free(&e);
}
END_TEST

/*
 * slots = 1: a task waiting for its retry (Retry-After: 2) holds no slot, so the
 * next task runs in the meantime - between the two attempts of the first.
 */
START_TEST(test_retry_holds_no_slot)
{
	struct tu_env e;
	int im;
	FILE *f;

	tu_env_init(&e);
	im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", NULL });
	ck_assert(im >= 0);
	char *sections = xasprintf("[host.one]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 1\n\n"
	                           "[handler.general]\nhosts = one\ndefault = yes\n",
	    e.port[im]);
	tu_env_config(&e, NULL, sections);
	free(sections);
	f = fopen(e.tracker, "w");
	tu_issue(f, "w-first", "Waits for its retry", "[mock fault=429 retry_after=2 times=1]", "open", 0, "", "");
	tu_issue(f, "w-second", "Runs meanwhile", "[mock latency=300ms]", "open", 1, "", "");
	fclose(f);

	ck_assert_int_eq(tu_env_drain(&e, 30), 0);

	struct json_object *t = tu_tracker_load(e.tracker), *s = tu_mock_stats(e.port[im]);
	ck_assert_str_eq(tu_issue_field(t, "w-first", "status"), "closed");
	ck_assert_str_eq(tu_issue_field(t, "w-second", "status"), "closed");
	ck_assert_int_eq(tu_mock_count(s, "w-first", NULL), 2);
	ck_assert_int_eq(tu_mock_count(s, "w-second", NULL), 1);
	long long f0_end = tu_mock_end_ms(s, "w-first", 0), f1 = tu_mock_start_ms(s, "w-first", 1);
	long long s0 = tu_mock_start_ms(s, "w-second", 0), s0_end = tu_mock_end_ms(s, "w-second", 0);
	ck_assert_msg(s0 >= f0_end && s0_end <= f1, "w-second ran %lld..%lld, w-first failed at %lld and retried at %lld",
	    s0, s0_end, f0_end, f1);
	ck_assert_int_eq(tu_stat_int(s, "max_in_flight"), 1);
	json_object_put(s);
	json_object_put(t);
	tu_env_free(&e);
}
END_TEST

struct closed_wait {
	const char *tracker;
	const char *const *ids;
};

static bool
all_closed(void *arg)
{
	struct closed_wait *w = arg;
	struct json_object *t = tu_tracker_load(w->tracker);
	bool ok = true;

	for (size_t i = 0; w->ids[i] != NULL && ok; i++) {
		const char *s = tu_issue_field(t, w->ids[i], "status");
		ok = s != NULL && strcmp(s, "closed") == 0;
	}
	json_object_put(t);
	return ok;
}

static void
append_issue(struct tu_env *e, const char *id, const char *labels)
{
	FILE *f = fopen(e->tracker, "a");

	tu_issue(f, id, "Later work", "[mock latency=100ms]", "open", 1, labels, "");
	fclose(f);
}

/*
 * Host health: host "a" refuses connections (nothing listens on its port);
 * after fail_threshold = 2 failures in a row it is out of rotation, its tasks
 * spill to "b", and a task bound to "a" alone waits, unclaimed. Then a server
 * starts on a's port: the probe brings it back and it gets tasks again, the
 * waiting one included - with the same daemon.
 */
START_TEST(test_host_down_and_back)
{
	struct tu_env e;
	int ia, ib, port_a;
	FILE *f;

	tu_env_init(&e);
	ia = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", NULL });
	ib = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", NULL });
	ck_assert(ia >= 0 && ib >= 0);
	port_a = e.port[ia];
	tu_env_mock_stop(&e, ia); /* a's port now refuses */
	char *sections = xasprintf("[host.a]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 1\n\n"
	                           "[host.b]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 1\n\n"
	                           "[handler.general]\nhosts = a, b\ndefault = yes\n\n"
	                           "[handler.reasoning]\nhosts = a\n",
	    port_a, e.port[ib]);
	tu_env_config(&e, "fail_threshold = 2\nhealth_interval = 0.2\nmax_attempts = 5\n", sections);
	free(sections);
	f = fopen(e.tracker, "w");
	for (int i = 1; i <= 4; i++) {
		char id[16];
		snprintf(id, sizeof id, "h-%d", i);
		tu_issue(f, id, "Work", "[mock latency=100ms]", "open", 1, "", "");
	}
	fclose(f);

	tu_env_yggd(&e, false);
	ck_assert_msg(tu_wait_text(e.log, "host=a out of rotation after 2 failures", 1, 20), "a never went down");
	static const char *const first[] = { "h-1", "h-2", "h-3", "h-4", NULL };
	struct closed_wait w1 = { e.tracker, first };
	ck_assert_msg(tu_wait_until(all_closed, &w1, 20), "the first tasks did not close on b");

	/* a task for a alone waits while a is down: not claimed, no request anywhere */
	append_issue(&e, "h-wait", "\"ygg:reasoning\"");
	tu_sleep(1.0);
	struct json_object *t = tu_tracker_load(e.tracker);
	ck_assert_str_eq(tu_issue_field(t, "h-wait", "status"), "open");
	json_object_put(t);
	struct json_object *sb = tu_mock_stats(e.port[ib]);
	ck_assert_int_eq(tu_mock_count(sb, "h-wait", NULL), 0);
	ck_assert_int_eq(tu_mock_count(sb, NULL, NULL), 4); /* h-1..h-4 once each: refusals cost no request */
	json_object_put(sb);

	/* a comes back on its port: the probe finds it, the waiting task runs there, then new ones */
	int ia2 = tu_env_mock(&e, port_a, (char *const[]){ "--model", "m", NULL });
	ck_assert_msg(ia2 >= 0, "could not listen on port %d again", port_a);
	ck_assert_msg(tu_wait_text(e.log, "host=a probe ok: back in rotation", 1, 20), "a never came back");
	static const char *const waiting[] = { "h-wait", NULL };
	struct closed_wait w2 = { e.tracker, waiting };
	ck_assert_msg(tu_wait_until(all_closed, &w2, 20), "h-wait did not run after a came back");
	append_issue(&e, "h-5", "");
	static const char *const later[] = { "h-5", NULL };
	struct closed_wait w3 = { e.tracker, later };
	ck_assert_msg(tu_wait_until(all_closed, &w3, 20), "h-5 did not run");
	struct json_object *sa = tu_mock_stats(e.port[ia2]);
	ck_assert_int_eq(tu_mock_count(sa, "h-wait", "ok"), 1);
	ck_assert_int_eq(tu_mock_count(sa, "h-5", "ok"), 1);
	json_object_put(sa);
	t = tu_tracker_load(e.tracker);
	ck_assert_ptr_nonnull(strstr(tu_issue_field(t, "h-5", "close_reason"), "on a "));
	json_object_put(t);
	tu_env_free(&e);
}
END_TEST

Suite *
faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("matrix");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_fault_matrix, 0, 2);
	tcase_add_test(tc, test_retry_holds_no_slot);
	tcase_add_test(tc, test_host_down_and_back);
	suite_add_tcase(s, tc);
	return s;
}
