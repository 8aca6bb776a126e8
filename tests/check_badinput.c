/*
 * check_badinput.c - bad input of every kind, through the real yggd: a tracker
 * full of junk (malformed lines, 10 MB lines, invalid UTF-8, duplicate ids,
 * dependency cycles, nesting bombs), an empty or missing issues.jsonl, a tracker
 * folder that disappears and comes back, configs that fail, plugins that fail or
 * return nonsense, LLM replies that are truncated, not JSON, endless or empty.
 * After each: no line of the tracker lost (every line byte for byte, except the
 * lines of the issues yggd dispatched), no task left in_progress, no crash, and
 * a message a person can act on.
 */
#include <check.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

static int
start_mock(struct tu_env *e)
{
	int i = tu_env_mock(e, 0, (char *const[]){ "--model", "m", NULL });

	ck_assert_msg(i >= 0, "mockhost did not start");
	return e->port[i];
}

static void
one_host_config(struct tu_env *e, int port, const char *yggd_keys, const char *more)
{
	char *s = xasprintf("[host.h]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 4\n\n"
	                    "[handler.general]\nhosts = h\ndefault = yes\n\n%s",
	    port, more != NULL ? more : "");

	tu_env_config(e, yggd_keys, s);
	free(s);
}

/* Drain, then the invariants every bad-input test keeps. */
static void
drain_and_check(struct tu_env *e, const char *before, const char *const *dispatched)
{
	char *after, *lost, *ids = NULL;

	ck_assert_int_eq(tu_env_drain(e, 60), 0);
	after = tu_read_file(e->tracker, NULL);
	lost = tu_lines_lost(before, after, dispatched);
	ck_assert_msg(lost == NULL, "a line was lost or changed: %.200s", lost);
	ck_assert_msg(tu_tracker_in_progress(e->tracker, &ids) == 0, "left in_progress: %s", ids);
	free(ids);
	free(after);
}

static char *
repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/*
 * A tracker of junk with good tasks among it: the good ones are done, the junk
 * stays exactly as it was, each bad line is reported with FILE:LINE. An open
 * issue someone else holds is left to them (and does not keep --drain from
 * ending).
 */
START_TEST(test_junk_tracker)
{
	struct tu_env e;
	FILE *f;
	int port;
	char *big;

	tu_env_init(&e);
	port = start_mock(&e);
	one_host_config(&e, port, NULL, NULL);
	f = fopen(e.tracker, "w");
	tu_issue(f, "b-1", "Good first", "x", "open", 1, "", "");                             /* 1 */
	fputs("this is not json at all\n", f);                                                /* 2 */
	fputs("{\"id\":\"b-cut\",\"title\":\"cut off in the mid\n", f);                        /* 3 */
	fputs("[1,2,3]\n", f);                                                                /* 4 */
	fputs("{\"id\":42,\"title\":\"a number for an id\",\"status\":\"open\"}\n", f);         /* 5 */
	fputs("\n", f);                                                                       /* 6 */
	fputs("{\"_type\":\"memory\",\"key\":\"k\",\"value\":\"v\"}\n", f);                     /* 7 */
	big = repeat('A', 10 * 1024 * 1024);
	fprintf(f, "{\"id\":\"big\",\"title\":\"Big\",\"description\":\"%s\",\"status\":\"closed\"}\n", big); /* 8 */
	memset(big, 'x', 10 * 1024 * 1024);
	fprintf(f, "%s\n", big);                                                              /* 9 */
	free(big);
	/* invalid UTF-8 inside strings of an issue that gets dispatched */
	fputs("{\"id\":\"utf\",\"title\":\"bad \xff\xfe bytes\",\"description\":\"caf\xc3 \xed\xa0\x80\","
	      "\"status\":\"open\",\"priority\":1,\"issue_type\":\"task\",\"created_at\":\"2026-01-01T10:00:00Z\"}\n",
	    f);                                                                               /* 10 */
	tu_issue(f, "dup", "first copy", "x", "open", 1, "", "");                             /* 11 */
	tu_issue(f, "dup", "second copy", "x", "open", 1, "", "");                            /* 12 */
	tu_issue(f, "cyc-a", "Cycle A", "x", "open", 0, "",
	    ",\"dependencies\":[{\"issue_id\":\"cyc-a\",\"depends_on_id\":\"cyc-b\",\"type\":\"blocks\"}]"); /* 13 */
	tu_issue(f, "cyc-b", "Cycle B", "x", "open", 0, "",
	    ",\"dependencies\":[{\"issue_id\":\"cyc-b\",\"depends_on_id\":\"cyc-a\",\"type\":\"blocks\"}]"); /* 14 */
	char *bomb = repeat('[', 100000);
	fprintf(f, "{\"id\":\"deep\",\"status\":\"open\",\"x\":%s}\n", bomb);                /* 15 */
	free(bomb);
	tu_issue(f, "taken", "Someone has it", "x", "open", 0, "", ",\"assignee\":\"alice\""); /* 16 */
	tu_issue(f, "b-3", "Good last", "x", "open", 1, "", "");                              /* 17 */
	fclose(f);
	char *before = tu_read_file(e.tracker, NULL);

	static const char *const dispatched[] = { "b-1", "b-3", "utf", "dup", NULL };
	drain_and_check(&e, before, dispatched);

	struct json_object *s = tu_mock_stats(port);
	for (size_t i = 0; dispatched[i] != NULL; i++)
		ck_assert_msg(tu_mock_count(s, dispatched[i], "ok") == 1, "%s ran %d times", dispatched[i],
		    tu_mock_count(s, dispatched[i], NULL));
	ck_assert_int_eq(tu_mock_count(s, NULL, NULL), 4); /* not the cycle, not alice's, not the junk */
	json_object_put(s);

	char *after = tu_read_file(e.tracker, NULL);
	/* duplicates: the last line is the issue (bd's rule) and the one patched; the first stays */
	const char *first = strstr(after, "\"title\":\"first copy\"");
	ck_assert_ptr_nonnull(first);
	while (first > after && first[-1] != '\n')
		first--;
	ck_assert_ptr_null(memmem(first, strcspn(first, "\n"), "closed", 6));
	ck_assert_ptr_nonnull(strstr(after, "\"title\":\"second copy\""));
	/* the invalid bytes of the dispatched issue survived its rewrite */
	ck_assert_ptr_nonnull(strstr(after, "bad \xff\xfe bytes"));
	ck_assert_ptr_nonnull(strstr(after, "caf\xc3 \xed\xa0\x80"));
	struct json_object *t = tu_tracker_load(e.tracker);
	ck_assert_str_eq(tu_issue_field(t, "utf", "status"), "closed");
	ck_assert_str_eq(tu_issue_field(t, "dup", "status"), "closed");
	ck_assert_str_eq(tu_issue_field(t, "cyc-a", "status"), "open");
	json_object_put(t);
	/* every bad line was reported, by file and line */
	char *log = tu_read_file(e.log, NULL);
	static const int bad_lines[] = { 2, 3, 4, 9, 15 };
	for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
		char *where = xasprintf("issues.jsonl:%d:", bad_lines[i]);
		ck_assert_msg(strstr(log, where) != NULL, "line %d not reported", bad_lines[i]);
		free(where);
	}
	free(log);
	free(after);
	free(before);
	tu_env_free(&e);
}
END_TEST

/* An empty issues.jsonl, and none at all: a clean drain, nothing written. */
START_TEST(test_empty_and_missing_tracker)
{
	struct tu_env e;
	struct stat st;

	tu_env_init(&e);
	int port = start_mock(&e);
	one_host_config(&e, port, NULL, NULL);
	tu_write_file(e.tracker, "");
	ck_assert_int_eq(tu_env_drain(&e, 20), 0);
	ck_assert_int_eq(stat(e.tracker, &st), 0);
	ck_assert_int_eq(st.st_size, 0);

	unlink(e.tracker);
	ck_assert_int_eq(tu_env_drain(&e, 20), 0);
	ck_assert_int_eq(access(e.tracker, F_OK), -1);
	char *log = tu_read_file(e.log, NULL);
	ck_assert_ptr_nonnull(strstr(log, "issues.jsonl: not there (yet)"));
	free(log);
	tu_env_free(&e);
}
END_TEST

struct closed_wait {
	const char *tracker;
	const char *id;
};

static bool
is_closed(void *arg)
{
	struct closed_wait *w = arg;
	struct json_object *t = tu_tracker_load(w->tracker);
	const char *s = tu_issue_field(t, w->id, "status");
	bool ok = s != NULL && strcmp(s, "closed") == 0;

	json_object_put(t);
	return ok;
}

/*
 * The tracker folder disappears under a running daemon (moved away, as a
 * careless rsync or a git checkout might) and comes back with a new task in it:
 * the task is dispatched, and the daemon never crashed.
 */
START_TEST(test_tracker_folder_comes_back)
{
	struct tu_env e;
	FILE *f;

	tu_env_init(&e);
	int port = start_mock(&e);
	one_host_config(&e, port, NULL, NULL);
	f = fopen(e.tracker, "w");
	tu_issue(f, "v-1", "Before", "x", "open", 1, "", "");
	fclose(f);
	pid_t pid = tu_env_yggd(&e, false);
	struct closed_wait w1 = { e.tracker, "v-1" };
	ck_assert(tu_wait_until(is_closed, &w1, 20));
	char *content = tu_read_file(e.tracker, NULL);

	char *away = xasprintf("%s/beads-away", e.dir);
	ck_assert_int_eq(rename(e.beads, away), 0);
	tu_sleep(1.0);
	ck_assert_int_eq(kill(pid, 0), 0);
	mkdir(e.beads, 0755);
	f = fopen(e.tracker, "w");
	fputs(content, f);
	tu_issue(f, "v-2", "After", "x", "open", 1, "", "");
	fclose(f);
	struct closed_wait w2 = { e.tracker, "v-2" };
	ck_assert_msg(tu_wait_until(is_closed, &w2, 20), "the task in the returned folder was not dispatched");

	/* and once more, removed outright and recreated */
	tu_rmtree(e.beads);
	tu_sleep(0.5);
	mkdir(e.beads, 0755);
	f = fopen(e.tracker, "w");
	tu_issue(f, "v-3", "Again", "x", "open", 1, "", "");
	fclose(f);
	struct closed_wait w3 = { e.tracker, "v-3" };
	ck_assert_msg(tu_wait_until(is_closed, &w3, 20), "the task in the recreated folder was not dispatched");

	kill(pid, SIGTERM);
	ck_assert_int_eq(tu_env_wait(&e, pid, 10), 0);
	struct json_object *s = tu_mock_stats(port);
	ck_assert_int_eq(tu_mock_count(s, "v-1", NULL), 1);
	ck_assert_int_eq(tu_mock_count(s, "v-2", NULL), 1);
	ck_assert_int_eq(tu_mock_count(s, "v-3", NULL), 1);
	json_object_put(s);
	free(away);
	free(content);
	tu_env_free(&e);
}
END_TEST

struct inflight_wait {
	int port;
	int n;
};

struct status_wait {
	const char *tracker;
	const char *id;
	const char *status;
};

static bool
has_status(void *arg)
{
	struct status_wait *w = arg;
	struct json_object *t = tu_tracker_load(w->tracker);
	const char *s = tu_issue_field(t, w->id, "status");
	bool ok = s != NULL && strcmp(s, w->status) == 0;

	json_object_put(t);
	return ok;
}

static bool
mock_in_flight(void *arg)
{
	struct inflight_wait *w = arg;
	struct json_object *s = tu_mock_stats(w->port);
	bool ok = tu_stat_int(s, "in_flight") >= w->n;

	json_object_put(s);
	return ok;
}

/*
 * The folder goes away for a moment while a task runs (a checkout or a sync
 * replacing .beads): the task is not abandoned in_progress - it finishes and is
 * closed once the tracker is back.
 */
START_TEST(test_tracker_folder_gone_mid_task)
{
	struct tu_env e;
	FILE *f;

	tu_env_init(&e);
	int port = start_mock(&e);
	one_host_config(&e, port, NULL, NULL);
	f = fopen(e.tracker, "w");
	tu_issue(f, "m-1", "Long", "[mock latency=2s]", "open", 1, "", "");
	fclose(f);
	pid_t pid = tu_env_yggd(&e, false);
	struct inflight_wait iw = { port, 1 };
	ck_assert(tu_wait_until(mock_in_flight, &iw, 20));
	struct status_wait sw = { e.tracker, "m-1", "in_progress" };
	ck_assert_msg(tu_wait_until(has_status, &sw, 10), "the claim never reached the tracker");
	char *away = xasprintf("%s/beads-away", e.dir);
	ck_assert_int_eq(rename(e.beads, away), 0);
	tu_sleep(0.5);
	ck_assert_int_eq(rename(away, e.beads), 0);
	struct closed_wait w = { e.tracker, "m-1" };
	ck_assert_msg(tu_wait_until(is_closed, &w, 20), "m-1 was abandoned when its tracker went away for a moment");
	kill(pid, SIGTERM);
	ck_assert_int_eq(tu_env_wait(&e, pid, 10), 0);
	struct json_object *s = tu_mock_stats(port);
	ck_assert_int_eq(tu_mock_count(s, "m-1", "ok"), 1);
	ck_assert_int_eq(tu_mock_count(s, "m-1", NULL), 1);
	json_object_put(s);
	free(away);
	tu_env_free(&e);
}
END_TEST

/*
 * The tracker cannot be written when a task ends (its folder is gone): the
 * close is retried, lands once the folder is back, and the drain then ends -
 * the retried write is not counted twice, so the task is not kept forever.
 */
START_TEST(test_store_write_retried)
{
	struct tu_env e;
	FILE *f;

	tu_env_init(&e);
	int port = start_mock(&e);
	one_host_config(&e, port, NULL, NULL);
	f = fopen(e.tracker, "w");
	tu_issue(f, "w-1", "Long", "[mock latency=1s]", "open", 1, "", "");
	fclose(f);
	pid_t pid = tu_env_yggd(&e, true);
	struct inflight_wait iw = { port, 1 };
	ck_assert(tu_wait_until(mock_in_flight, &iw, 20));
	struct status_wait sw = { e.tracker, "w-1", "in_progress" };
	ck_assert_msg(tu_wait_until(has_status, &sw, 10), "the claim never reached the tracker");
	char *away = xasprintf("%s/beads-away", e.dir);
	ck_assert_int_eq(rename(e.beads, away), 0);
	ck_assert_msg(tu_wait_text(e.log, "task=w-1 cannot write closed to the tracker (try 1 of 6)", 1, 20),
	    "the failed write was not reported");
	ck_assert_int_eq(rename(away, e.beads), 0);
	ck_assert_int_eq(tu_env_wait(&e, pid, 20), 0);
	struct json_object *t = tu_tracker_load(e.tracker);
	ck_assert_str_eq(tu_issue_field(t, "w-1", "status"), "closed");
	ck_assert_int_eq(tu_issue_ncomments(t, "w-1"), 1);
	json_object_put(t);
	free(away);
	tu_env_free(&e);
}
END_TEST

/* Configs that fail: exit 2 and FILE:LINE: key: what is wrong - before touching anything. */
static const struct {
	const char *text;
	const char *want; /* after "FILE:" */
} bad_configs[] = {
	{ "[yggd]\nmax_attempts = many\n", "2: max_attempts: not a number" },
	{ "[yggd]\nfrobnicate = 1\n", "2: frobnicate: unknown key in [yggd]" },
	{ "[host.a]\napi = ollama\nmodel = m\nslots = 1\n", "1: [host.a]: missing required key url" },
	{ "[handler.general]\nhosts = nowhere\n", "2: hosts: no [host.nowhere] section" },
	{ "[frob]\n", "1: [frob]: unknown section" },
	{ "[yggd]\njust words\n", "2: expected [section] or key = value" },
	{ "[host.a]\nurl = ftp://x\napi = ollama\nmodel = m\nslots = 1\n", "2: url: must start with http://" },
	{ "[host.a]\nurl = http://x\napi = ollama\nmodel = m\nslots = 0\n", "5: slots:" },
};

START_TEST(test_bad_config)
{
	struct tu_env e;
	char *bin = tu_bin("yggd"), *out = NULL;

	tu_env_init(&e);
	tu_write_file(e.tracker, "");
	char *before = tu_read_file(e.tracker, NULL);
	tu_write_file(e.config, bad_configs[_i].text);
	char *argv[] = { bin, "-c", e.config, "--drain", NULL };
	ck_assert_int_eq(tu_run(argv, 10, &out), 2);
	char *want = xasprintf("%s:%s", e.config, bad_configs[_i].want);
	ck_assert_msg(strstr(out, want) != NULL, "want \"%s\", got: %s", want, out);
	ck_assert_int_eq(tu_count(out, "\n"), 1); /* one line, nothing else */
	/* -t says the same */
	free(out);
	char *argt[] = { bin, "-t", "-c", e.config, NULL };
	ck_assert_int_eq(tu_run(argt, 10, &out), 2);
	ck_assert_ptr_nonnull(strstr(out, want));
	char *after = tu_read_file(e.tracker, NULL);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	free(want);
	free(out);
	free(bin);
	tu_env_free(&e);
}
END_TEST

/* build/tests/plugins/NAME.so copied into dir (plugins must not be group- or world-writable). */
static void
copy_plugin(const char *dir, const char *rel, const char *as)
{
	char *src = tu_build(rel), *dst = path_join(dir, as);
	size_t len;
	char *data = tu_read_file(src, &len);

	ck_assert_msg(data != NULL, "%s not built", src);
	FILE *f = fopen(dst, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	chmod(dst, 0644);
	free(data);
	free(src);
	free(dst);
}

/*
 * Plugins that fail: one whose init fails (refused, named in the log; its
 * handler's tasks wait untouched while the rest run), one that returns nonsense
 * (no text: retried, then blocked saying so; -1 with no reason; a request it
 * cannot build: blocked at once, no request sent; bytes that are not text: the
 * tracker stays valid JSON). And replies that are truncated, not JSON, endless
 * or empty, among them.
 */
START_TEST(test_bad_plugins_and_replies)
{
	struct tu_env e;
	FILE *f;

	tu_env_init(&e);
	int port = start_mock(&e);
	char *pdir = path_join(e.dir, "plugins");
	mkdir(pdir, 0755);
	copy_plugin(pdir, "plugins/general.so", "general.so");
	copy_plugin(pdir, "tests/plugins/nonsense.so", "nonsense.so");
	copy_plugin(pdir, "tests/plugins/init_fails.so", "init_fails.so");
	char *keys = xasprintf("plugin_dir = %s\nmax_attempts = 2\nmax_response_bytes = 32k\n", pdir);
	one_host_config(&e, port, keys,
	    "[handler.nonsense-empty]\nplugin = nonsense\nhosts = h\n\n"
	    "[handler.nonsense-fail]\nplugin = nonsense\nhosts = h\n\n"
	    "[handler.nonsense-build]\nplugin = nonsense\nhosts = h\n\n"
	    "[handler.nonsense-binary]\nplugin = nonsense\nhosts = h\n\n"
	    "[handler.init-fails]\nplugin = init-fails\nhosts = h\n");
	free(keys);
	f = fopen(e.tracker, "w");
	tu_issue(f, "p-empty", "Nothing", "x", "open", 1, "\"ygg:nonsense-empty\"", "");
	tu_issue(f, "p-fail", "Fails", "x", "open", 1, "\"ygg:nonsense-fail\"", "");
	tu_issue(f, "p-build", "No request", "x", "open", 1, "\"ygg:nonsense-build\"", "");
	tu_issue(f, "p-binary", "Bytes", "x", "open", 1, "\"ygg:nonsense-binary\"", "");
	tu_issue(f, "p-init", "Waits for a plugin", "x", "open", 1, "\"ygg:init-fails\"", "");
	tu_issue(f, "r-trunc", "Cut", "[mock fault=truncate]", "open", 1, "", "");
	tu_issue(f, "r-garbage", "Not JSON", "[mock fault=garbage]", "open", 1, "", "");
	tu_issue(f, "r-huge", "Endless", "[mock fault=huge]", "open", 1, "", "");
	tu_issue(f, "r-empty", "Empty", "[mock fault=empty]", "open", 1, "", "");
	tu_issue(f, "r-ok", "Fine", "x", "open", 1, "", "");
	fclose(f);
	char *before = tu_read_file(e.tracker, NULL);

	static const char *const dispatched[] = { "p-empty", "p-fail", "p-build", "p-binary", "r-trunc", "r-garbage",
		"r-huge", "r-empty", "r-ok", NULL };
	drain_and_check(&e, before, dispatched);

	static const struct {
		const char *id;
		const char *status;
		int requests;
		const char *words;
	} want[] = {
		{ "p-empty", "blocked", 2, "nonsense could not use the reply: the result was empty" },
		{ "p-fail", "blocked", 2, "nonsense could not use the reply: the handler failed without saying why" },
		{ "p-build", "blocked", 0, "the nonsense handler could not build a request" },
		{ "p-binary", "closed", 1, "bytes:\xef\xbf\xbdNUL \xef\xbf\xbd\xef\xbf\xbd bad \x01\x02 controls \xe2\x80\xa8 sep \x1b[31m end" },
		{ "r-trunc", "blocked", 2, "truncated" },
		{ "r-garbage", "blocked", 2, "unparseable reply" },
		{ "r-huge", "blocked", 1, "larger than 32768 bytes" },
		{ "r-empty", "blocked", 2, "empty reply" },
		{ "r-ok", "closed", 1, "Result for r-ok" },
	};
	struct json_object *t = tu_tracker_load(e.tracker), *s = tu_mock_stats(port);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *st = tu_issue_field(t, want[i].id, "status"), *c = tu_issue_comment(t, want[i].id, -1);
		ck_assert_msg(st != NULL && strcmp(st, want[i].status) == 0, "%s is %s", want[i].id, st);
		ck_assert_msg(tu_mock_count(s, want[i].id, NULL) == want[i].requests, "%s: %d requests", want[i].id,
		    tu_mock_count(s, want[i].id, NULL));
		ck_assert_msg(c != NULL && strstr(c, want[i].words) != NULL, "%s: \"%s\" not in %s", want[i].id,
		    want[i].words, c);
	}
	/* the plugin that failed init: its task is untouched, the refusal named */
	ck_assert_str_eq(tu_issue_field(t, "p-init", "status"), "open");
	ck_assert_int_eq(tu_issue_ncomments(t, "p-init"), 0);
	char *log = tu_read_file(e.log, NULL);
	ck_assert_ptr_nonnull(strstr(log, "init_fails.so refused"));
	ck_assert_ptr_nonnull(strstr(log, "handler=init-fails has no plugin loaded"));
	free(log);
	json_object_put(s);
	json_object_put(t);
	free(before);
	free(pdir);
	tu_env_free(&e);
}
END_TEST

Suite *
badinput_suite(void)
{
	Suite *s = suite_create("badinput");
	TCase *tc = tcase_create("badinput");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_junk_tracker);
	tcase_add_test(tc, test_empty_and_missing_tracker);
	tcase_add_test(tc, test_tracker_folder_comes_back);
	tcase_add_test(tc, test_tracker_folder_gone_mid_task);
	tcase_add_test(tc, test_store_write_retried);
	tcase_add_loop_test(tc, test_bad_config, 0, sizeof bad_configs / sizeof bad_configs[0]);
	tcase_add_test(tc, test_bad_plugins_and_replies);
	suite_add_tcase(s, tc);
	return s;
}
