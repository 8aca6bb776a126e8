/*
 * check_lifecycle.c - the daemon's life around its tasks: killed with SIGKILL and
 * restarted, stopped with SIGTERM (within and past shutdown_grace), reloaded with
 * SIGHUP (good and broken configs), tasks cancelled by another writer of the
 * tracker, and two daemons on one tracker. Judged by the tracker file, the mock
 * host's log (what ran, what was aborted on the wire), exit codes and log lines.
 */
#include <check.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

/* ---- helpers */

struct inflight_wait {
	int port;
	int n;
};

static bool
mock_in_flight(void *arg)
{
	struct inflight_wait *w = arg;
	struct json_object *s = tu_mock_stats(w->port);
	bool ok = tu_stat_int(s, "in_flight") >= w->n;

	json_object_put(s);
	return ok;
}

struct status_wait {
	const char *tracker;
	const char *const *ids;
	const char *status;
};

static bool
all_status(void *arg)
{
	struct status_wait *w = arg;
	struct json_object *t = tu_tracker_load(w->tracker);
	bool ok = true;

	for (size_t i = 0; w->ids[i] != NULL && ok; i++) {
		const char *s = tu_issue_field(t, w->ids[i], "status");
		ok = s != NULL && strcmp(s, w->status) == 0;
	}
	json_object_put(t);
	return ok;
}

static bool
wait_status(struct tu_env *e, const char *const *ids, const char *status, double timeout)
{
	struct status_wait w = { e->tracker, ids, status };

	return tu_wait_until(all_status, &w, timeout);
}

static char *
host_section(const char *name, int port, int slots)
{
	return xasprintf("[host.%s]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = %d\n\n", name, port,
	    slots);
}

/* One host "h" and the general handler as default. */
static void
simple_config(struct tu_env *e, int port, int slots, const char *yggd_keys)
{
	char *h = host_section("h", port, slots);
	char *s = xasprintf("%s[handler.general]\nhosts = h\ndefault = yes\n", h);

	tu_env_config(e, yggd_keys, s);
	free(h);
	free(s);
}

static void
write_tasks(struct tu_env *e, const char *prefix, int n, int prio, const char *desc)
{
	FILE *f = fopen(e->tracker, "a");

	for (int i = 1; i <= n; i++) {
		char id[32];
		snprintf(id, sizeof id, "%s-%d", prefix, i);
		tu_issue(f, id, "Lifecycle work", desc, "open", prio, "", "");
	}
	fclose(f);
}

/* "Result for ID:" is how the mock's reply (so the result comment) starts. */
static int
result_comments(struct json_object *t, const char *id)
{
	char *needle = xasprintf("Result for %s:", id);
	int n = tu_issue_count_comments(t, id, needle);

	free(needle);
	return n;
}

/*
 * SIGKILL with four tasks in flight leaves them in_progress; the next start
 * reopens them (naming them in the log) and runs them: every task ends closed
 * with exactly one result, and the host ran each to completion exactly once.
 */
START_TEST(test_sigkill_then_restart)
{
	struct tu_env e;
	static const char *const ids[] = { "k-1", "k-2", "k-3", "k-4", NULL };

	tu_env_init(&e);
	int im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", "--latency", "2000", NULL });
	ck_assert(im >= 0);
	simple_config(&e, e.port[im], 4, NULL);
	write_tasks(&e, "k", 4, 1, "Slow work");

	pid_t pid = tu_env_yggd(&e, false);
	struct inflight_wait iw = { e.port[im], 4 };
	ck_assert_msg(tu_wait_until(mock_in_flight, &iw, 20), "the tasks never got in flight");
	/* the request may start while the claim is still being written: wait for the file */
	ck_assert_msg(wait_status(&e, ids, "in_progress", 10), "the claims never reached the tracker");
	kill(pid, SIGKILL);
	ck_assert_int_eq(tu_env_wait(&e, pid, 10), 128 + SIGKILL);
	ck_assert_msg(wait_status(&e, ids, "in_progress", 0), "a killed daemon's tasks should be left in_progress");

	ck_assert_int_eq(tu_env_drain(&e, 60), 0);
	char *log = tu_read_file(e.log, NULL);
	const char *line = strstr(log, "reopening 4 issue(s) left in progress by assignee=yggd");
	ck_assert_msg(line != NULL, "no reopen line in:\n%s", log);
	size_t ll = strcspn(line, "\n");
	for (size_t i = 0; ids[i] != NULL; i++)
		ck_assert_msg(memmem(line, ll, ids[i], strlen(ids[i])) != NULL, "%s not named in %.*s", ids[i], (int)ll, line);
	free(log);

	struct json_object *t = tu_tracker_load(e.tracker), *s = tu_mock_stats(e.port[im]);
	for (size_t i = 0; ids[i] != NULL; i++) {
		ck_assert_str_eq(tu_issue_field(t, ids[i], "status"), "closed");
		ck_assert_int_eq(result_comments(t, ids[i]), 1);
		ck_assert_int_eq(tu_issue_count_comments(t, ids[i], "reopened this issue at start"), 1);
		ck_assert_int_eq(tu_mock_count(s, ids[i], "ok"), 1);
		ck_assert_int_eq(tu_mock_count(s, ids[i], "aborted"), 1); /* the killed run's request */
	}
	json_object_put(s);
	json_object_put(t);
	tu_env_free(&e);
}
END_TEST

/*
 * SIGTERM with three tasks in flight and shutdown_grace long enough: no new
 * claim (the fourth task stays untouched), the three finish, exit 0; a task
 * waiting for its retry is reopened at once instead of being waited for.
 */
START_TEST(test_sigterm_finishes_in_flight)
{
	struct tu_env e;
	static const char *const ran[] = { "s-1", "s-2", "s-3", NULL };

	tu_env_init(&e);
	int im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", "--latency", "1000", NULL });
	ck_assert(im >= 0);
	simple_config(&e, e.port[im], 3, "shutdown_grace = 20\n");
	FILE *f = fopen(e.tracker, "w");
	for (int i = 1; i <= 4; i++) {
		char id[8];
		snprintf(id, sizeof id, "s-%d", i);
		tu_issue(f, id, "Work", "x", "open", i == 4 ? 3 : 1, "", "");
	}
	/* first of all, a task that fails and then waits 30 s for its retry */
	tu_issue(f, "s-r", "Waits", "[mock fault=503 retry_after=30]", "open", 0, "", "");
	fclose(f);
	char *before = tu_read_file(e.tracker, NULL);

	pid_t pid = tu_env_yggd(&e, false);
	struct inflight_wait iw = { e.port[im], 3 };
	ck_assert(tu_wait_text(e.log, "task=s-r host=h attempt=1 of 3 failed", 1, 20));
	ck_assert(tu_wait_until(mock_in_flight, &iw, 20));
	kill(pid, SIGTERM);
	/* it does not wait for the retry: only for what is in flight */
	ck_assert_int_eq(tu_env_wait(&e, pid, 15), 0);
	struct json_object *t = tu_tracker_load(e.tracker);
	ck_assert_str_eq(tu_issue_field(t, "s-r", "status"), "open");
	ck_assert_ptr_null(tu_issue_field(t, "s-r", "assignee"));
	json_object_put(t);

	ck_assert(wait_status(&e, ran, "closed", 0));
	char *after = tu_read_file(e.tracker, NULL);
	static const char *const changed[] = { "s-1", "s-2", "s-3", "s-r", NULL };
	char *lost = tu_lines_lost(before, after, changed);
	ck_assert_msg(lost == NULL, "s-4 was touched: %s", lost);
	struct json_object *s = tu_mock_stats(e.port[im]);
	ck_assert_int_eq(tu_mock_count(s, NULL, NULL), 4);
	ck_assert_int_eq(tu_mock_count(s, NULL, "ok"), 3);
	ck_assert_int_eq(tu_mock_count(s, "s-r", "503"), 1);
	json_object_put(s);
	char *log = tu_read_file(e.log, NULL);
	ck_assert_ptr_nonnull(strstr(log, "SIGTERM: no new claims"));
	ck_assert_ptr_nonnull(strstr(log, "task=s-r reopened: yggd is stopping before its retry"));
	free(log);
	free(before);
	free(after);
	tu_env_free(&e);
}
END_TEST

/*
 * SIGTERM with a short grace: the requests still running when it is over are
 * aborted on the wire (the mock logs them "aborted") and their issues reopened
 * (open, no assignee); exit 0.
 */
START_TEST(test_sigterm_grace_over_reopens)
{
	struct tu_env e;
	static const char *const ids[] = { "g-1", "g-2", NULL };

	tu_env_init(&e);
	int im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", "--latency", "20000", NULL });
	ck_assert(im >= 0);
	simple_config(&e, e.port[im], 2, "shutdown_grace = 0.5\n");
	write_tasks(&e, "g", 2, 1, "Endless work");

	pid_t pid = tu_env_yggd(&e, false);
	struct inflight_wait iw = { e.port[im], 2 };
	ck_assert(tu_wait_until(mock_in_flight, &iw, 20));
	kill(pid, SIGTERM);
	ck_assert_int_eq(tu_env_wait(&e, pid, 10), 0);

	struct json_object *t = tu_tracker_load(e.tracker), *s = tu_mock_stats(e.port[im]);
	for (size_t i = 0; ids[i] != NULL; i++) {
		ck_assert_str_eq(tu_issue_field(t, ids[i], "status"), "open");
		ck_assert_ptr_null(tu_issue_field(t, ids[i], "assignee"));
		ck_assert_int_eq(tu_mock_count(s, ids[i], "aborted"), 1);
	}
	ck_assert_int_eq(tu_stat_int(s, "in_flight"), 0);
	char *log = tu_read_file(e.log, NULL);
	ck_assert_ptr_nonnull(strstr(log, "shutdown_grace over: aborting 2 task(s)"));
	ck_assert_ptr_nonnull(strstr(log, "task=g-1 reopened"));
	free(log);
	json_object_put(s);
	json_object_put(t);
	tu_env_free(&e);
}
END_TEST

/* The 1-based number of the line of path that starts with text, 0 when none. */
static int
line_of(const char *path, const char *text)
{
	char *s = tu_read_file(path, NULL);
	int n = 0, at = 0;

	for (char *p = s; p != NULL && *p != '\0' && at == 0; p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL) {
		n++;
		if (strncmp(p, text, strlen(text)) == 0)
			at = n;
	}
	free(s);
	return at;
}

/*
 * SIGHUP: slots 1 -> 3 while tasks run, and the host sees three at once; then a
 * broken config is refused with FILE:LINE and the running one keeps working.
 */
START_TEST(test_sighup_reload)
{
	struct tu_env e;

	tu_env_init(&e);
	int im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", "--latency", "800", NULL });
	ck_assert(im >= 0);
	simple_config(&e, e.port[im], 1, NULL);
	write_tasks(&e, "r", 7, 1, "Work");

	pid_t pid = tu_env_yggd(&e, false);
	ck_assert(tu_wait_text(e.log, "task=r-1 claimed", 1, 20));
	/* an assignee change is not taken mid-run: the tasks in flight stay ours */
	simple_config(&e, e.port[im], 3, "assignee = somebody-else\n");
	kill(pid, SIGHUP);
	ck_assert_msg(tu_wait_text(e.log, "reloaded ", 1, 10), "no reload");
	ck_assert(tu_wait_text(e.log, "an assignee change needs a restart; keeping assignee=yggd", 1, 1));
	static const char *const ids[] = { "r-1", "r-2", "r-3", "r-4", "r-5", "r-6", "r-7", NULL };
	ck_assert(wait_status(&e, ids, "closed", 30));
	struct json_object *t = tu_tracker_load(e.tracker);
	for (size_t i = 0; ids[i] != NULL; i++)
		ck_assert_str_eq(tu_issue_field(t, ids[i], "assignee"), "yggd");
	json_object_put(t);
	struct json_object *s = tu_mock_stats(e.port[im]);
	ck_assert_int_eq(tu_stat_int(s, "max_in_flight"), 3);
	ck_assert_int_eq(tu_mock_count(s, NULL, "ok"), 7);
	json_object_put(s);

	/* broken: a value that is not a number */
	simple_config(&e, e.port[im], 1, "max_attempts = lots\n");
	char *where = xasprintf("%s:%d: max_attempts", e.config, line_of(e.config, "max_attempts = lots"));
	kill(pid, SIGHUP);
	ck_assert_msg(tu_wait_text(e.log, "reload refused", 1, 10), "the broken config was not refused");
	char *log = tu_read_file(e.log, NULL);
	ck_assert_msg(strstr(log, where) != NULL, "no %s in the log", where);
	free(log);
	free(where);
	/* still running on the old config (3 slots): three new tasks at once */
	long st;
	free(tu_http_post(e.port[im], "/_mock/reset", "", NULL, &st));
	ck_assert_int_eq(st, 200);
	write_tasks(&e, "q", 3, 1, "More work");
	static const char *const more[] = { "q-1", "q-2", "q-3", NULL };
	ck_assert_msg(wait_status(&e, more, "closed", 30), "the daemon stopped working after a refused reload");
	s = tu_mock_stats(e.port[im]);
	ck_assert_int_eq(tu_stat_int(s, "max_in_flight"), 3);
	json_object_put(s);
	kill(pid, SIGTERM);
	ck_assert_int_eq(tu_env_wait(&e, pid, 10), 0);
	tu_env_free(&e);
}
END_TEST

/*
 * SIGHUP that removes the host a task is running on and adds another: the task
 * in flight finishes where it started (nothing dropped), new tasks go to the new
 * host, the removed one gets nothing more.
 */
START_TEST(test_sighup_replaces_host)
{
	struct tu_env e;

	tu_env_init(&e);
	int ia = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", NULL });
	int ib = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", NULL });
	ck_assert(ia >= 0 && ib >= 0);
	char *ha = host_section("a", e.port[ia], 1), *hb = host_section("b", e.port[ib], 1);
	char *first = xasprintf("%s[handler.general]\nhosts = a\ndefault = yes\n", ha);
	char *second = xasprintf("%s[handler.general]\nhosts = b\ndefault = yes\n", hb);
	tu_env_config(&e, NULL, first);
	write_tasks(&e, "x", 1, 1, "[mock latency=2s]");

	pid_t pid = tu_env_yggd(&e, false);
	struct inflight_wait iw = { e.port[ia], 1 };
	ck_assert(tu_wait_until(mock_in_flight, &iw, 20));
	tu_env_config(&e, NULL, second);
	kill(pid, SIGHUP);
	ck_assert(tu_wait_text(e.log, "reloaded ", 1, 10));
	write_tasks(&e, "y", 2, 1, "[mock latency=100ms]");
	static const char *const all[] = { "x-1", "y-1", "y-2", NULL };
	ck_assert_msg(wait_status(&e, all, "closed", 20), "not everything closed after the host was replaced");
	kill(pid, SIGTERM);
	ck_assert_int_eq(tu_env_wait(&e, pid, 10), 0);

	struct json_object *sa = tu_mock_stats(e.port[ia]), *sb = tu_mock_stats(e.port[ib]);
	ck_assert_int_eq(tu_mock_count(sa, "x-1", "ok"), 1);
	ck_assert_int_eq(tu_mock_count(sa, NULL, NULL), 1);
	ck_assert_int_eq(tu_mock_count(sb, "y-1", "ok"), 1);
	ck_assert_int_eq(tu_mock_count(sb, "y-2", "ok"), 1);
	ck_assert_int_eq(tu_mock_count(sb, "x-1", NULL), 0);
	json_object_put(sa);
	json_object_put(sb);
	struct json_object *t = tu_tracker_load(e.tracker);
	ck_assert_ptr_nonnull(strstr(tu_issue_field(t, "x-1", "close_reason"), "on a "));
	json_object_put(t);
	free(ha);
	free(hb);
	free(first);
	free(second);
	tu_env_free(&e);
}
END_TEST

/*
 * Cancellation by another writer: while four tasks run (3 s each), their issues
 * are set to closed, open (taken by alice), blocked and deferred the way bd
 * writes (lock, temp file, rename). Each request is aborted on the wire well
 * before it would have finished, the slots go to the next tasks, and the
 * writer's status stands with nothing added by yggd.
 */
START_TEST(test_cancel_by_other_writer)
{
	struct tu_env e;
	static const struct {
		const char *id;
		const char *kv[6];
		const char *status;
	} cases[] = {
		{ "c-closed", { "status", "\"closed\"", "close_reason", "\"done by hand\"", NULL }, "closed" },
		{ "c-open", { "status", "\"open\"", "assignee", "\"alice\"", NULL }, "open" },
		{ "c-blocked", { "status", "\"blocked\"", NULL }, "blocked" },
		{ "c-deferred", { "status", "\"deferred\"", NULL }, "deferred" },
	};
	FILE *f;

	tu_env_init(&e);
	int im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", NULL });
	ck_assert(im >= 0);
	simple_config(&e, e.port[im], 4, NULL);
	f = fopen(e.tracker, "w");
	for (size_t i = 0; i < 4; i++)
		tu_issue(f, cases[i].id, "Long work", "[mock latency=3s]", "open", 0, "", "");
	fclose(f);
	write_tasks(&e, "n", 4, 2, "[mock latency=100ms]");

	pid_t pid = tu_env_yggd(&e, false);
	struct inflight_wait iw = { e.port[im], 4 };
	ck_assert(tu_wait_until(mock_in_flight, &iw, 20));
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(tu_tracker_edit(e.tracker, cases[i].id, cases[i].kv), 0);
	static const char *const next[] = { "n-1", "n-2", "n-3", "n-4", NULL };
	ck_assert_msg(wait_status(&e, next, "closed", 20), "the freed slots were not used");
	kill(pid, SIGTERM);
	ck_assert_int_eq(tu_env_wait(&e, pid, 10), 0);

	struct json_object *t = tu_tracker_load(e.tracker), *s = tu_mock_stats(e.port[im]);
	for (size_t i = 0; i < 4; i++) {
		const char *id = cases[i].id;
		ck_assert_msg(strcmp(tu_issue_field(t, id, "status"), cases[i].status) == 0, "%s is %s", id,
		    tu_issue_field(t, id, "status"));
		ck_assert_int_eq(tu_issue_ncomments(t, id), 0);
		ck_assert_int_eq(tu_mock_count(s, id, NULL), 1);
		ck_assert_int_eq(tu_mock_count(s, id, "aborted"), 1);
		/* aborted within a poll or so of the edit, not at the 3 s mark */
		long long dur = tu_mock_end_ms(s, id, 0) - tu_mock_start_ms(s, id, 0);
		ck_assert_msg(dur < 2900, "%s ran %lld ms", id, dur);
		/* the next tasks started while it would still have been running */
	}
	ck_assert_str_eq(tu_issue_field(t, "c-open", "assignee"), "alice");
	ck_assert_str_eq(tu_issue_field(t, "c-closed", "close_reason"), "done by hand");
	ck_assert_int_eq(tu_mock_count(s, "n-1", "ok"), 1);
	ck_assert(tu_mock_start_ms(s, "n-1", 0) < tu_mock_start_ms(s, "c-closed", 0) + 2900);
	char *log = tu_read_file(e.log, NULL);
	ck_assert_ptr_nonnull(strstr(log, "task=c-blocked cancelled: someone else set it to blocked"));
	free(log);
	json_object_put(s);
	json_object_put(t);
	tu_env_free(&e);
}
END_TEST

/*
 * Two daemons with different assignees on one tracker and one host: every task
 * closed exactly once, and the host saw each task exactly once.
 */
START_TEST(test_two_daemons_share_a_tracker)
{
	struct tu_env e;
	char *config2;
	enum { N = 16 };

	tu_env_init(&e);
	int im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", "--latency", "150", NULL });
	ck_assert(im >= 0);
	simple_config(&e, e.port[im], 2, "assignee = yggd-one\n");
	config2 = xasprintf("%s/ygg2.ini", e.dir);
	char *c1 = tu_read_file(e.config, NULL);
	simple_config(&e, e.port[im], 2, "assignee = yggd-two\n");
	rename(e.config, config2);
	tu_write_file(e.config, c1);
	free(c1);
	write_tasks(&e, "d", N, 1, "Shared work");

	char *bin = tu_bin("yggd");
	char *log2 = xasprintf("%s/yggd2.log", e.dir);
	char *argv2[] = { bin, "-c", config2, "-v", "--drain", NULL };
	pid_t p1 = tu_env_yggd(&e, true);
	pid_t p2 = tu_spawn(argv2, log2);
	e.procs[e.nprocs++] = p2; /* killed by tu_env_free if the test fails */
	int rc1 = tu_env_wait(&e, p1, 60), rc2 = tu_env_wait(&e, p2, 60);
	ck_assert_int_eq(rc1, 0);
	ck_assert_int_eq(rc2, 0);

	struct json_object *t = tu_tracker_load(e.tracker), *s = tu_mock_stats(e.port[im]);
	int by_one = 0, by_two = 0;
	for (int i = 1; i <= N; i++) {
		char id[16];
		snprintf(id, sizeof id, "d-%d", i);
		ck_assert_str_eq(tu_issue_field(t, id, "status"), "closed");
		ck_assert_int_eq(result_comments(t, id), 1);
		ck_assert_int_eq(tu_mock_count(s, id, NULL), 1);
		const char *who = tu_issue_field(t, id, "assignee");
		by_one += who != NULL && strcmp(who, "yggd-one") == 0;
		by_two += who != NULL && strcmp(who, "yggd-two") == 0;
	}
	ck_assert_int_eq(by_one + by_two, N);
	json_object_put(s);
	json_object_put(t);
	free(log2);
	free(bin);
	free(config2);
	tu_env_free(&e);
}
END_TEST

/* The same assignee twice: the second refuses to start, and says why. */
START_TEST(test_same_assignee_refused)
{
	struct tu_env e;

	tu_env_init(&e);
	int im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", NULL });
	ck_assert(im >= 0);
	simple_config(&e, e.port[im], 1, NULL);
	tu_write_file(e.tracker, "");
	pid_t p1 = tu_env_yggd(&e, false);
	ck_assert(tu_wait_text(e.log, "running", 1, 10));

	char *bin = tu_bin("yggd"), *out = NULL;
	char *argv[] = { bin, "-c", e.config, NULL };
	int rc = tu_run(argv, 10, &out);
	ck_assert_int_eq(rc, 1);
	char *want = xasprintf("another yggd (pid %ld) already works on", (long)p1);
	ck_assert_msg(strstr(out, want) != NULL && strstr(out, "assignee=yggd") != NULL, "got: %s", out);
	free(want);
	free(out);
	free(bin);
	/* the first one is unharmed */
	kill(p1, SIGTERM);
	ck_assert_int_eq(tu_env_wait(&e, p1, 10), 0);
	tu_env_free(&e);
}
END_TEST

Suite *
lifecycle_suite(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("lifecycle");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sigkill_then_restart);
	tcase_add_test(tc, test_sigterm_finishes_in_flight);
	tcase_add_test(tc, test_sigterm_grace_over_reopens);
	tcase_add_test(tc, test_sighup_reload);
	tcase_add_test(tc, test_sighup_replaces_host);
	tcase_add_test(tc, test_cancel_by_other_writer);
	tcase_add_test(tc, test_two_daemons_share_a_tracker);
	tcase_add_test(tc, test_same_assignee_refused);
	suite_add_tcase(s, tc);
	return s;
}
