/*
 * check_store_bd.c - the bd store backend on a real event loop, driving the
 * stand-in bd (tests/fake_bd.c, built as build/tests/fakebin/bd): the calls it
 * makes (FAKE_BD_LOG), what ends up in the tracker, and how it fails when bd
 * fails, prints garbage, hangs or is missing.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "testutil.h"
#include "ygg.h"

struct env {
	char *tmp, *beads, *path, *log;
	struct ygg_config *cfg;
	struct event_base *base;
	struct store *st;
	int changed;
};

struct slot {
	int done;
	int result;
	char *err;
	int *counter;
};

static void
slot_cb(int result, const char *err, void *arg)
{
	struct slot *s = arg;

	ck_assert_msg(!s->done, "a done callback ran twice");
	s->done = 1;
	s->result = result;
	s->err = err != NULL ? xstrdup(err) : NULL;
	if (s->counter != NULL)
		(*s->counter)++;
}

static void
changed_cb(void *arg)
{
	((struct env *)arg)->changed++;
}

/* Captured warnings (the log hook). */
static struct buf logged;

static void
log_hook(enum log_level level, const char *line, void *arg)
{
	(void)arg;
	if (level <= LOG_LVL_WARN) {
		buf_adds(&logged, line);
		buf_addc(&logged, '\n');
	}
}

/*
 * Issues for the tests: four ready ones in a known priority order, one open but
 * someone else's, one blocked, one in progress by bob, one closed.
 */
static const char fixture[] =
    "{\"id\":\"b-1\",\"title\":\"one\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\",\"created_at\":\"2025-01-01T00:00:00Z\",\"updated_at\":\"2025-01-01T00:00:00Z\"}\n"
    "{\"id\":\"b-2\",\"title\":\"two\",\"status\":\"open\",\"priority\":0,\"issue_type\":\"task\",\"created_at\":\"2025-01-02T00:00:00Z\",\"updated_at\":\"2025-01-02T00:00:00Z\"}\n"
    "{\"id\":\"b-3\",\"title\":\"three\",\"status\":\"open\",\"priority\":1,\"issue_type\":\"task\",\"created_at\":\"2025-01-03T00:00:00Z\",\"updated_at\":\"2025-01-03T00:00:00Z\"}\n"
    "{\"id\":\"b-4\",\"title\":\"four\",\"status\":\"open\",\"priority\":1,\"issue_type\":\"task\",\"created_at\":\"2025-01-01T12:00:00Z\",\"updated_at\":\"2025-01-01T12:00:00Z\"}\n"
    "{\"id\":\"b-5\",\"title\":\"taken\",\"status\":\"open\",\"priority\":3,\"issue_type\":\"task\",\"assignee\":\"alice\",\"created_at\":\"2025-01-05T00:00:00Z\",\"updated_at\":\"2025-01-05T00:00:00Z\"}\n"
    "{\"id\":\"b-6\",\"title\":\"blocked\",\"status\":\"open\",\"priority\":0,\"issue_type\":\"task\",\"created_at\":\"2025-01-06T00:00:00Z\",\"updated_at\":\"2025-01-06T00:00:00Z\",\"dependencies\":[{\"issue_id\":\"b-6\",\"depends_on_id\":\"b-1\",\"type\":\"blocks\"}]}\n"
    "{\"id\":\"b-7\",\"title\":\"bob's\",\"status\":\"in_progress\",\"priority\":1,\"issue_type\":\"task\",\"assignee\":\"bob\",\"created_at\":\"2025-01-07T00:00:00Z\",\"updated_at\":\"2025-01-07T00:00:00Z\"}\n"
    "{\"id\":\"b-8\",\"title\":\"done\",\"status\":\"closed\",\"priority\":1,\"issue_type\":\"task\",\"created_at\":\"2025-01-08T00:00:00Z\",\"updated_at\":\"2025-01-08T00:00:00Z\"}\n";

static char *saved_path;

static void
env_init(struct env *e, const char *store, const char *extra, bool with_db)
{
	char *fakebin = tu_build("tests/fakebin"), *cause = NULL;
	char *text;

	memset(e, 0, sizeof *e);
	e->tmp = tu_tmpdir();
	e->beads = xasprintf("%s/.beads", e->tmp);
	e->path = xasprintf("%s/issues.jsonl", e->beads);
	e->log = xasprintf("%s/bd.log", e->tmp);
	ck_assert_int_eq(mkdir(e->beads, 0755), 0);
	tu_write_file(e->path, fixture);
	if (with_db) {
		char *db = xasprintf("%s/beads.db", e->beads);
		tu_write_file(db, "");
		free(db);
	}
	/* the stand-in bd first on PATH */
	if (saved_path == NULL)
		saved_path = xstrdup(getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin");
	char *path = xasprintf("%s:%s", fakebin, saved_path);
	setenv("PATH", path, 1);
	free(path);
	setenv("FAKE_BD_LOG", e->log, 1);
	unsetenv("FAKE_BD_FAIL");
	unsetenv("FAKE_BD_GARBAGE");
	unsetenv("FAKE_BD_HANG");
	unsetenv("FAKE_BD_NO_CLAIM");
	text = xasprintf("[yggd]\nstore = %s\nbeads_dir = %s\nassignee = yggd\ncontrol = off\npoll_interval = 30\n"
			 "%s\n%s\n"
			 "[host.h]\nurl = http://127.0.0.1:9\napi = ollama\nmodel = m\nslots = 1\n"
			 "[handler.general]\nhosts = h\ndefault = yes\n",
	    store, e->beads, extra != NULL && strstr(extra, "bd_timeout") != NULL ? "" : "bd_timeout = 5",
	    extra != NULL ? extra : "");
	if (config_parse(text, "test.ini", e->tmp, &e->cfg, &cause) != 0)
		ck_abort_msg("config: %s", cause);
	free(text);
	free(fakebin);
	e->base = event_base_new();
	buf_free(&logged);
	log_set_hook(log_hook, NULL);
}

static int
env_start(struct env *e)
{
	char *cause = NULL;

	e->st = store_new(e->base, e->cfg, &cause);
	ck_assert_msg(e->st != NULL, "store_new: %s", cause);
	ck_assert_str_eq(store_name(e->st), "bd");
	store_set_changed_cb(e->st, changed_cb, e);
	return store_start(e->st);
}

static void
env_free(struct env *e)
{
	if (e->st != NULL) {
		store_stop(e->st);
		store_free(e->st);
	}
	event_base_free(e->base);
	config_free(e->cfg);
	tu_rmtree(e->tmp);
	free(e->tmp);
	free(e->beads);
	free(e->path);
	free(e->log);
	log_set_hook(NULL, NULL);
}

static char *
line_of(const char *path, const char *id)
{
	char *text = tu_read_file(path, NULL), *needle = xasprintf("\"id\":\"%s\"", id), *found = NULL;
	char *at = text != NULL ? strstr(text, needle) : NULL;

	if (at != NULL) {
		char *start = at, *end = strchr(at, '\n');
		while (start > text && start[-1] != '\n')
			start--;
		found = xstrndup(start, end != NULL ? (size_t)(end - start) : strlen(start));
	}
	free(text);
	free(needle);
	return found;
}

/* Lines of the bd log that contain s. */
static int
log_count(const struct env *e, const char *s)
{
	char *text = tu_read_file(e->log, NULL);
	int n = tu_count(text, s);

	free(text);
	return n;
}

/* ---------------------------------------------------------------- tests */

/* Counts loop turns: proof that the loop kept running while bd hung. */
static void
count_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	(*(int *)arg)++;
}

START_TEST(test_auto_choice)
{
	struct env e;
	const char *why;
	char *cause = NULL;

	/* bd on PATH and a database in the folder: bd */
	env_init(&e, "auto", NULL, true);
	ck_assert_int_eq(store_auto_wants_bd(e.cfg, &why), 1);
	ck_assert_int_eq(env_start(&e), 0);
	env_free(&e);

	/* no database: jsonl */
	env_init(&e, "auto", NULL, false);
	ck_assert_int_eq(store_auto_wants_bd(e.cfg, &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "no bd database"));
	e.st = store_new(e.base, e.cfg, &cause);
	ck_assert_str_eq(store_name(e.st), "jsonl");
	env_free(&e);

	/* a dolt folder, or metadata.json naming dolt, counts as a database */
	env_init(&e, "auto", NULL, false);
	char *dolt = xasprintf("%s/dolt", e.beads);
	ck_assert_int_eq(mkdir(dolt, 0755), 0);
	ck_assert_int_eq(store_auto_wants_bd(e.cfg, &why), 1);
	rmdir(dolt);
	free(dolt);
	char *meta = xasprintf("%s/metadata.json", e.beads);
	tu_write_file(meta, "{\"backend\":\"dolt\",\"dolt_mode\":\"server\"}");
	ck_assert_int_eq(store_auto_wants_bd(e.cfg, &why), 1);
	tu_write_file(meta, "{\"database\":\"nothere.db\"}");
	ck_assert_int_eq(store_auto_wants_bd(e.cfg, &why), 0);
	free(meta);
	env_free(&e);

	/* a database but no bd on PATH: jsonl */
	env_init(&e, "auto", NULL, true);
	setenv("PATH", "/nonexistent", 1);
	ck_assert_int_eq(store_auto_wants_bd(e.cfg, &why), 0);
	ck_assert_str_eq(why, "no bd executable on PATH");
	env_free(&e);
}
END_TEST

START_TEST(test_bd_missing)
{
	struct env e;
	char *cause = NULL;

	env_init(&e, "bd", NULL, true);
	setenv("PATH", "/nonexistent:/also-not", 1);
	ck_assert_ptr_null(store_new(e.base, e.cfg, &cause));
	ck_assert_str_eq(cause, "bd: not found on PATH; install bd or set store = jsonl");
	free(cause);
	env_free(&e);

	env_init(&e, "bd", "bd = /nonexistent/bd", true);
	ck_assert_ptr_null(store_new(e.base, e.cfg, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "/nonexistent/bd"));
	free(cause);
	env_free(&e);
}
END_TEST

START_TEST(test_ready_order_and_views)
{
	struct env e;
	const struct issue **rd, **mine;
	static const char *const want[] = { "b-2", "b-4", "b-3", "b-1", "b-5" };

	env_init(&e, "bd", NULL, true);
	ck_assert_int_eq(env_start(&e), 0);
	/* the real flags: --limit 0, or bd stops at 10 */
	ck_assert_int_eq(log_count(&e, "ready --json --limit 0\n"), 1);
	ck_assert_int_eq(log_count(&e, "list --status in_progress --json --limit 0\n"), 1);
	size_t n = store_ready(e.st, now_wall_ns(), &rd);
	ck_assert_uint_eq(n, 5);
	/* priority order: priority, then oldest */
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(rd[i]->id, want[i]);
	/* bob's work is known (for cancellation checks) but not ours */
	ck_assert_str_eq(store_lookup(e.st, "b-7")->assignee, "bob");
	ck_assert_uint_eq(store_mine_in_progress(e.st, &mine), 0);
	ck_assert_ptr_null(store_lookup(e.st, "b-8"));
	env_free(&e);
}
END_TEST

START_TEST(test_claim_close_comment)
{
	struct env e;
	struct slot claim = { 0 }, close = { 0 }, note = { 0 };
	const struct issue **rd, **mine;

	env_init(&e, "bd", NULL, true);
	ck_assert_int_eq(env_start(&e), 0);
	store_submit(e.st, STORE_CLAIM, "b-2", NULL, NULL, slot_cb, &claim);
	ck_assert_int_eq(claim.done, 0);
	ck_assert(tu_loop_until(e.base, &claim.done, 1, 10));
	ck_assert_msg(claim.result == STORE_OK, "claim: %s", claim.err);
	ck_assert_int_eq(log_count(&e, "--actor yggd update b-2 --claim --json\n"), 1);
	char *l = line_of(e.path, "b-2");
	ck_assert_ptr_nonnull(strstr(l, "\"status\":\"in_progress\""));
	ck_assert_ptr_nonnull(strstr(l, "\"assignee\":\"yggd\""));
	free(l);
	/* the view shows the claim at once, before the next poll */
	ck_assert_int_ge(e.changed, 1);
	size_t n = store_ready(e.st, now_wall_ns(), &rd);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_ne(rd[i]->id, "b-2");
	ck_assert_uint_eq(store_mine_in_progress(e.st, &mine), 1);
	ck_assert_str_eq(mine[0]->id, "b-2");

	store_submit(e.st, STORE_COMPLETE, "b-2", "handler=general host=h model=m", "-the result <ok>", slot_cb, &close);
	store_submit(e.st, STORE_COMMENT, "b-3", NULL, "just a note", slot_cb, &note);
	ck_assert(tu_loop_until(e.base, &note.done, 1, 10));
	ck_assert(close.done);
	ck_assert_msg(close.result == STORE_OK, "close: %s", close.err);
	ck_assert_msg(note.result == STORE_OK, "comment: %s", note.err);
	/* the close checked first that the issue is still ours */
	ck_assert_int_eq(log_count(&e, "--actor yggd show b-2 --json\n"), 1);
	ck_assert_int_eq(log_count(&e, "--actor yggd close b-2 --reason handler=general host=h model=m --json\n"), 1);
	ck_assert_int_eq(log_count(&e, "comments add --author yggd -- b-2 -the result <ok>\n"), 1);
	l = line_of(e.path, "b-2");
	ck_assert_ptr_nonnull(strstr(l, "\"status\":\"closed\""));
	ck_assert_ptr_nonnull(strstr(l, "\"close_reason\":\"handler=general host=h model=m\""));
	ck_assert_ptr_nonnull(strstr(l, "\"author\":\"yggd\",\"text\":\"-the result \\u003cok\\u003e\""));
	free(l);
	l = line_of(e.path, "b-3");
	ck_assert_ptr_nonnull(strstr(l, "\"text\":\"just a note\""));
	ck_assert_ptr_nonnull(strstr(l, "\"status\":\"open\""));
	free(l);
	ck_assert_uint_eq(store_mine_in_progress(e.st, &mine), 0);
	free(claim.err);
	free(close.err);
	free(note.err);
	env_free(&e);
}
END_TEST

START_TEST(test_batching_ids)
{
	struct env e;
	struct slot c[3] = { { 0 } }, d[3] = { { 0 } };
	int claimed = 0, closed = 0;
	static const char *const ids[] = { "b-1", "b-3", "b-4" };

	env_init(&e, "bd", NULL, true);
	ck_assert_int_eq(env_start(&e), 0);
	for (int i = 0; i < 3; i++) {
		c[i].counter = &claimed;
		store_submit(e.st, STORE_CLAIM, ids[i], NULL, NULL, slot_cb, &c[i]);
	}
	ck_assert(tu_loop_until(e.base, &claimed, 3, 10));
	ck_assert_int_eq(log_count(&e, "--actor yggd update b-1 b-3 b-4 --claim --json\n"), 1);
	ck_assert_int_eq(log_count(&e, "update"), 1);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(c[i].result, STORE_OK);
		d[i].counter = &closed;
		store_submit(e.st, STORE_COMPLETE, ids[i], "same reason", NULL, slot_cb, &d[i]);
	}
	ck_assert(tu_loop_until(e.base, &closed, 3, 10));
	ck_assert_int_eq(log_count(&e, "--actor yggd show b-1 b-3 b-4 --json\n"), 1);
	ck_assert_int_eq(log_count(&e, "--actor yggd close b-1 b-3 b-4 --reason same reason --json\n"), 1);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(d[i].result, STORE_OK);
		free(c[i].err);
		free(d[i].err);
	}
	env_free(&e);
}
END_TEST

START_TEST(test_conflicts)
{
	struct env e;
	struct slot taken = { 0 }, bobs = { 0 }, gone = { 0 }, fine = { 0 };
	char *before = NULL;

	env_init(&e, "bd", NULL, true);
	ck_assert_int_eq(env_start(&e), 0);
	before = line_of(e.path, "b-7");
	/* b-5 is someone else's: bd's atomic claim refuses it */
	store_submit(e.st, STORE_CLAIM, "b-5", NULL, NULL, slot_cb, &taken);
	store_submit(e.st, STORE_CLAIM, "b-1", NULL, NULL, slot_cb, &fine);
	/* b-7 is bob's: closing it is not ours to do */
	store_submit(e.st, STORE_COMPLETE, "b-7", "done", "result", slot_cb, &bobs);
	store_submit(e.st, STORE_FAIL, "b-99", "boom", NULL, slot_cb, &gone);
	ck_assert(tu_loop_until(e.base, &gone.done, 1, 10));
	ck_assert(taken.done && bobs.done && fine.done);
	ck_assert_int_eq(taken.result, STORE_CONFLICT);
	ck_assert_ptr_nonnull(strstr(taken.err, "b-5"));
	ck_assert_ptr_nonnull(strstr(taken.err, "alice"));
	ck_assert_int_eq(fine.result, STORE_OK);
	ck_assert_int_eq(bobs.result, STORE_CONFLICT);
	ck_assert_ptr_nonnull(strstr(bobs.err, "bob"));
	ck_assert_int_eq(gone.result, STORE_CONFLICT);
	ck_assert_ptr_nonnull(strstr(gone.err, "b-99"));
	/* one claim call for both claims; no close was attempted */
	ck_assert_int_eq(log_count(&e, "update b-5 b-1 --claim"), 1);
	ck_assert_int_eq(log_count(&e, " close "), 0);
	char *after = line_of(e.path, "b-7");
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	free(taken.err);
	free(bobs.err);
	free(gone.err);
	free(fine.err);
	env_free(&e);
}
END_TEST

START_TEST(test_block_and_reopen)
{
	struct env e;
	struct slot c1 = { 0 }, c2 = { 0 }, blk = { 0 }, rep = { 0 };

	env_init(&e, "bd", NULL, true);
	ck_assert_int_eq(env_start(&e), 0);
	store_submit(e.st, STORE_CLAIM, "b-1", NULL, NULL, slot_cb, &c1);
	store_submit(e.st, STORE_CLAIM, "b-3", NULL, NULL, slot_cb, &c2);
	ck_assert(tu_loop_until(e.base, &c2.done, 1, 10));
	store_submit(e.st, STORE_FAIL, "b-1", "host said 400: bad request", NULL, slot_cb, &blk);
	store_submit(e.st, STORE_REOPEN, "b-3", NULL, "shutting down", slot_cb, &rep);
	ck_assert(tu_loop_until(e.base, &rep.done, 1, 10));
	ck_assert(blk.done);
	ck_assert_msg(blk.result == STORE_OK, "%s", blk.err);
	ck_assert_msg(rep.result == STORE_OK, "%s", rep.err);
	ck_assert_int_eq(log_count(&e, "update b-1 --status blocked --json\n"), 1);
	ck_assert_int_eq(log_count(&e, "update b-3 --status open --assignee \"\" --json\n"), 1);
	char *l = line_of(e.path, "b-1");
	ck_assert_ptr_nonnull(strstr(l, "\"status\":\"blocked\""));
	ck_assert_ptr_nonnull(strstr(l, "host said 400: bad request"));
	free(l);
	l = line_of(e.path, "b-3");
	ck_assert_ptr_nonnull(strstr(l, "\"status\":\"open\""));
	ck_assert_ptr_null(strstr(l, "\"assignee\""));
	ck_assert_ptr_nonnull(strstr(l, "shutting down"));
	free(l);
	free(c1.err);
	free(c2.err);
	free(blk.err);
	free(rep.err);
	env_free(&e);
}
END_TEST

START_TEST(test_bd_fails)
{
	struct env e;
	struct slot s = { 0 };

	env_init(&e, "bd", NULL, true);
	ck_assert_int_eq(env_start(&e), 0);
	setenv("FAKE_BD_FAIL", "update", 1);
	store_submit(e.st, STORE_CLAIM, "b-2", NULL, NULL, slot_cb, &s);
	ck_assert(tu_loop_until(e.base, &s.done, 1, 10));
	ck_assert_int_eq(s.result, STORE_ERROR);
	/* the exit status and bd's last stderr line */
	ck_assert_ptr_nonnull(strstr(s.err, "exit 1"));
	ck_assert_ptr_nonnull(strstr(s.err, "database is locked (FAKE_BD_FAIL)"));
	char *l = line_of(e.path, "b-2");
	ck_assert_ptr_nonnull(strstr(l, "\"status\":\"open\""));
	free(l);

	/* a failing poll is reported once, however often it fails */
	setenv("FAKE_BD_FAIL", "ready", 1);
	store_refresh(e.st);
	int never = 0;
	tu_loop_until(e.base, &never, 1, 0.3);
	store_refresh(e.st);
	tu_loop_until(e.base, &never, 1, 0.3);
	ck_assert_int_eq(tu_count(logged.p, "bd ready failed (exit 1): Error: database is locked (FAKE_BD_FAIL)"), 1);
	free(s.err);
	env_free(&e);
}
END_TEST

START_TEST(test_bd_garbage)
{
	struct env e;
	struct slot s = { 0 };

	env_init(&e, "bd", NULL, true);
	setenv("FAKE_BD_GARBAGE", "ready", 1);
	ck_assert_int_eq(env_start(&e), -1);
	ck_assert_ptr_nonnull(strstr(logged.p, "bd ready printed something that is not JSON: <html>bd upgrade available!"));
	unsetenv("FAKE_BD_GARBAGE");
	store_refresh(e.st);
	ck_assert(tu_loop_until(e.base, &e.changed, 1, 10));
	const struct issue **rd;
	ck_assert_uint_eq(store_ready(e.st, now_wall_ns(), &rd), 5);

	setenv("FAKE_BD_GARBAGE", "update", 1);
	store_submit(e.st, STORE_CLAIM, "b-2", NULL, NULL, slot_cb, &s);
	ck_assert(tu_loop_until(e.base, &s.done, 1, 10));
	ck_assert_int_eq(s.result, STORE_ERROR);
	ck_assert_ptr_nonnull(strstr(s.err, "printed something that is not JSON"));
	free(s.err);
	env_free(&e);
}
END_TEST

START_TEST(test_bd_hangs)
{
	struct env e;
	struct slot s = { 0 }, after = { 0 };
	int ticks = 0;
	struct event *tick;
	struct timeval tv = { 0, 10000 };

	env_init(&e, "bd", "bd_timeout = 0.5", true);
	ck_assert_int_eq(env_start(&e), 0);
	setenv("FAKE_BD_HANG", "update", 1);
	tick = event_new(e.base, -1, EV_PERSIST, count_tick, &ticks);
	evtimer_add(tick, &tv);
	int64_t t0 = now_mono_ns();
	store_submit(e.st, STORE_CLAIM, "b-2", NULL, NULL, slot_cb, &s);
	ck_assert(tu_loop_until(e.base, &s.done, 1, 10));
	double took = (double)(now_mono_ns() - t0) / 1e9;
	ck_assert_int_eq(s.result, STORE_ERROR);
	ck_assert_msg(strstr(s.err, "bd update --claim timed out after 0.5 s") != NULL, "%s", s.err);
	/* failed within the limit (and some slack), and the loop kept running meanwhile */
	ck_assert_msg(took < 3.0, "took %.2fs", took);
	ck_assert_int_ge(ticks, 20);
	/* the store goes on: the next call works */
	store_submit(e.st, STORE_COMMENT, "b-3", NULL, "still alive", slot_cb, &after);
	ck_assert(tu_loop_until(e.base, &after.done, 1, 10));
	ck_assert_msg(after.result == STORE_OK, "%s", after.err);
	char *l = line_of(e.path, "b-2");
	ck_assert_ptr_nonnull(strstr(l, "\"status\":\"open\""));
	free(l);
	event_free(tick);
	free(s.err);
	free(after.err);
	env_free(&e);
}
END_TEST

START_TEST(test_no_claim_flag_fallback)
{
	struct env e;
	struct slot s = { 0 }, t = { 0 };

	env_init(&e, "bd", NULL, true);
	ck_assert_int_eq(env_start(&e), 0);
	setenv("FAKE_BD_NO_CLAIM", "1", 1);
	store_submit(e.st, STORE_CLAIM, "b-2", NULL, NULL, slot_cb, &s);
	store_submit(e.st, STORE_CLAIM, "b-5", NULL, NULL, slot_cb, &t);
	ck_assert(tu_loop_until(e.base, &s.done, 1, 10));
	ck_assert(t.done);
	ck_assert_msg(s.result == STORE_OK, "%s", s.err);
	/* checked first (b-5 is alice's), then status and assignee */
	ck_assert_int_eq(t.result, STORE_CONFLICT);
	ck_assert_ptr_nonnull(strstr(t.err, "alice"));
	ck_assert_int_eq(log_count(&e, "show b-2 b-5 --json\n"), 1);
	ck_assert_int_eq(log_count(&e, "update b-2 --status in_progress --assignee yggd --json\n"), 1);
	char *l = line_of(e.path, "b-2");
	ck_assert_ptr_nonnull(strstr(l, "\"assignee\":\"yggd\""));
	free(l);
	free(s.err);
	free(t.err);
	env_free(&e);
}
END_TEST

START_TEST(test_refresh_sees_changes)
{
	struct env e;
	const struct issue **rd;

	env_init(&e, "bd", NULL, true);
	ck_assert_int_eq(env_start(&e), 0);
	/* the first view is announced on the first loop turn, not from inside start */
	ck_assert_int_eq(e.changed, 0);
	ck_assert(tu_loop_until(e.base, &e.changed, 1, 5));
	/* an unchanged poll is not a change */
	store_refresh(e.st);
	int never = 0;
	tu_loop_until(e.base, &never, 1, 0.3);
	ck_assert_int_eq(e.changed, 1);
	/* someone closes b-2 outside yggd */
	char *text = tu_read_file(e.path, NULL);
	char *at = strstr(text, "\"id\":\"b-2\",\"title\":\"two\",\"status\":\"open\"");
	ck_assert_ptr_nonnull(at);
	memcpy(strstr(at, "\"open\""), "\"shut\"", 6);
	tu_write_file(e.path, text);
	free(text);
	store_refresh(e.st);
	ck_assert(tu_loop_until(e.base, &e.changed, 2, 10));
	size_t n = store_ready(e.st, now_wall_ns(), &rd);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(rd[0]->id, "b-4");
	env_free(&e);
}
END_TEST

Suite *
store_bd_suite(void)
{
	Suite *s = suite_create("store_bd");
	TCase *tc = tcase_create("store_bd");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_auto_choice);
	tcase_add_test(tc, test_bd_missing);
	tcase_add_test(tc, test_ready_order_and_views);
	tcase_add_test(tc, test_claim_close_comment);
	tcase_add_test(tc, test_batching_ids);
	tcase_add_test(tc, test_conflicts);
	tcase_add_test(tc, test_block_and_reopen);
	tcase_add_test(tc, test_bd_fails);
	tcase_add_test(tc, test_bd_garbage);
	tcase_add_test(tc, test_bd_hangs);
	tcase_add_test(tc, test_no_claim_flag_fallback);
	tcase_add_test(tc, test_refresh_sees_changes);
	suite_add_tcase(s, tc);
	return s;
}
