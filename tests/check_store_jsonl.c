/*
 * check_store_jsonl.c - the embedded jsonl store on a real event loop: what
 * ends up in issues.jsonl (byte for byte), batching, compare-and-set against
 * other writers, file watching, and the lock protocol under concurrent writers.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "testutil.h"
#include "ygg.h"

/* ---------------------------------------------------------------- harness */

struct env {
	char *tmp;
	char *beads;
	char *path;
	struct ygg_config *cfg;
	struct event_base *base;
	struct store *st;
	int changed;
	const int *watch;   /* a counter to sample when the changed callback runs */
	int watch_at_change;
};

/* One submitted change's answer. */
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
	s->done = true;
	s->result = result;
	s->err = err != NULL ? xstrdup(err) : NULL;
	if (s->counter != NULL)
		(*s->counter)++;
}

static void
changed_cb(void *arg)
{
	struct env *e = arg;

	e->changed++;
	if (e->watch != NULL)
		e->watch_at_change = *e->watch;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	if (arg != NULL)
		(*(int *)arg)++;
}

/*
 * Run the loop until the store has no write under way. Claims are answered as
 * soon as they are decided, before their rewrite lands (and unlocks the file).
 */
static void
run_until_written(struct env *e)
{
	int64_t deadline = now_mono_ns() + 10 * 1000000000LL;
	struct event *tick = evtimer_new(e->base, tick_cb, NULL);
	struct store_stats ss;

	for (;;) {
		store_get_stats(e->st, &ss);
		if (!ss.busy || now_mono_ns() > deadline)
			break;
		struct timeval tv = { 0, 10000 };
		evtimer_add(tick, &tv);
		event_base_loop(e->base, EVLOOP_ONCE);
	}
	event_free(tick);
	ck_assert_msg(!ss.busy, "the store's write did not land within 10 s");
}

static void
run_for(struct event_base *base, double seconds)
{
	int never = 0;
	tu_loop_until(base, &never, 1, seconds);
}

static struct ygg_config *
make_cfg(const char *dir, const char *beads, const char *store, const char *extra)
{
	struct ygg_config *cfg = NULL;
	char *cause = NULL;
	char *text = xasprintf("[yggd]\nstore = %s\nbeads_dir = %s\nassignee = yggd\ncontrol = off\n%s\n"
			       "[host.h]\nurl = http://127.0.0.1:9\napi = ollama\nmodel = m\nslots = 1\n"
			       "[handler.general]\nhosts = h\ndefault = yes\n",
	    store, beads, extra != NULL ? extra : "");

	if (config_parse(text, "test.ini", dir, &cfg, &cause) != 0)
		ck_abort_msg("config: %s", cause);
	free(text);
	return cfg;
}

static void
env_init(struct env *e, const char *extra)
{
	memset(e, 0, sizeof *e);
	e->tmp = tu_tmpdir();
	e->beads = xasprintf("%s/.beads", e->tmp);
	e->path = xasprintf("%s/issues.jsonl", e->beads);
	e->cfg = make_cfg(e->tmp, e->beads, "jsonl", extra != NULL ? extra : "poll_interval = 30");
	e->base = event_base_new();
	ck_assert_ptr_nonnull(e->base);
}

static void
env_start(struct env *e)
{
	char *cause = NULL;

	e->st = store_new(e->base, e->cfg, &cause);
	ck_assert_msg(e->st != NULL, "store_new: %s", cause);
	ck_assert_str_eq(store_name(e->st), "jsonl");
	store_set_changed_cb(e->st, changed_cb, e);
	ck_assert_int_eq(store_start(e->st), 0);
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
}

/* n open tasks "t-1".."t-n", priorities cycling 0..3, created a day apart. */
static char *
make_issues(int n, const char *prefix, const char *status, const char *extra)
{
	struct buf b;

	buf_init(&b);
	for (int i = 1; i <= n; i++)
		buf_printf(&b,
		    "{\"id\":\"%s-%d\",\"title\":\"Task %d\",\"description\":\"do \\u003cit\\u003e\",\"status\":\"%s\","
		    "\"priority\":%d,\"issue_type\":\"task\",\"created_at\":\"2025-03-%02dT10:00:00.123456-07:00\","
		    "\"updated_at\":\"2025-03-%02dT10:00:00.123456-07:00\"%s}\n",
		    prefix, i, i, status, i % 4, 1 + i % 28, 1 + i % 28, extra != NULL ? extra : "");
	return buf_steal(&b);
}

/* Write a file the way bd and editors do: temp file, rename. */
static void
replace_file(const char *path, const char *text)
{
	char *tmp = xasprintf("%s.tmp-test", path);

	tu_write_file(tmp, text);
	ck_assert_int_eq(rename(tmp, path), 0);
	free(tmp);
}

static size_t
split_lines(char *text, char ***out)
{
	size_t n = 0, cap = 16;
	char **v = xcalloc(cap, sizeof *v);

	for (char *p = text; *p != '\0';) {
		char *nl = strchr(p, '\n');
		if (n + 1 >= cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		v[n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	*out = v;
	return n;
}

/* The line of the file holding "id":"<id>" (new string), or NULL. */
static char *
line_of(const char *path, const char *id)
{
	char *text = tu_read_file(path, NULL), **lines, *found = NULL;
	char *needle = xasprintf("\"id\":\"%s\"", id);
	size_t n;

	if (text == NULL)
		return NULL;
	n = split_lines(text, &lines);
	for (size_t i = 0; i < n; i++)
		if (strstr(lines[i], needle) != NULL)
			found = xstrdup(lines[i]);
	free(lines);
	free(text);
	free(needle);
	return found;
}

/* An external edit under bd's lock protocol: flock, read, edit, temp + rename. */
typedef void edit_fn(struct buf *content, void *arg);

static void
locked_edit(const char *beads, edit_fn *edit, void *arg)
{
	char *lockpath = xasprintf("%s/.jsonl.lock", beads);
	char *path = xasprintf("%s/issues.jsonl", beads);
	char *tmp = xasprintf("%s/issues.jsonl.tmp.%ld", beads, (long)getpid());
	int fd = open(lockpath, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	char *data = NULL;
	size_t len = 0;
	struct buf b;

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	buf_init(&b);
	if (read_file(path, &data, &len) == 0)
		buf_add(&b, data, len);
	free(data);
	edit(&b, arg);
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ne(out, -1);
	ck_assert_int_eq(write(out, b.p, b.len), (ssize_t)b.len);
	close(out);
	ck_assert_int_eq(rename(tmp, path), 0);
	close(fd);
	buf_free(&b);
	free(lockpath);
	free(path);
	free(tmp);
}

struct subst {
	const char *id, *from, *to;
};

/* In the line of issue id, replace the first "from" with "to". */
static void
subst_edit(struct buf *b, void *arg)
{
	const struct subst *s = arg;
	char *needle = xasprintf("\"id\":\"%s\"", s->id);
	char *at = strstr(b->p, needle), *ls, *le, *hit;
	struct buf out;

	ck_assert_msg(at != NULL, "no issue %s", s->id);
	for (ls = at; ls > b->p && ls[-1] != '\n'; ls--)
		;
	le = strchr(at, '\n');
	if (le == NULL)
		le = b->p + b->len;
	hit = strstr(ls, s->from);
	ck_assert_msg(hit != NULL && hit < le, "no %s in %s", s->from, s->id);
	buf_init(&out);
	buf_add(&out, b->p, (size_t)(hit - b->p));
	buf_adds(&out, s->to);
	buf_adds(&out, hit + strlen(s->from));
	buf_free(b);
	*b = out;
	free(needle);
}

static void
assert_file_valid(const char *path)
{
	char *text = tu_read_file(path, NULL), **lines;
	size_t n = split_lines(text, &lines);

	for (size_t i = 0; i < n; i++) {
		struct json_line jl = { 0 };
		if (lines[i][0] == '\0' && i + 1 == n)
			continue;
		ck_assert_msg(json_line_scan(&jl, lines[i], strlen(lines[i])) == 0, "line %zu is not JSON: %.80s", i + 1,
		    lines[i]);
		json_line_free(&jl);
	}
	free(lines);
	free(text);
}

/* ---------------------------------------------------------------- corpus */

/*
 * Every corpus file: claim and complete the first ready issue (or comment on an
 * issue when none is ready). The file then differs from the original on that
 * one line only, and that line keeps every member it had.
 */
START_TEST(test_corpus_single_line_changes)
{
	char *dirpath = tu_src("tests/corpus/beads");
	DIR *d = opendir(dirpath);
	struct dirent *de;
	int files = 0;

	ck_assert_msg(d != NULL, "no %s", dirpath);
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (nl < 7 || strcmp(de->d_name + nl - 6, ".jsonl") != 0)
			continue;
		struct env e;
		char *src = xasprintf("%s/%s", dirpath, de->d_name), *orig, *now, **ol, **nw;
		size_t olen, on, nn;
		const struct issue **rd;
		struct slot s1 = { 0 }, s2 = { 0 };
		char *id;

		env_init(&e, NULL);
		ck_assert_int_eq(mkdir(e.beads, 0755), 0);
		orig = tu_read_file(src, &olen);
		tu_write_file(e.path, orig);
		env_start(&e);
		size_t nr = store_ready(e.st, now_wall_ns(), &rd);
		if (nr > 0) {
			id = xstrdup(rd[0]->id);
			store_submit(e.st, STORE_CLAIM, id, NULL, NULL, slot_cb, &s1);
			ck_assert(tu_loop_until(e.base, &s1.done, 1, 10));
			run_until_written(&e);
			ck_assert_msg(s1.result == STORE_OK, "%s: claim %s: %s", de->d_name, id, s1.err);
			store_submit(e.st, STORE_COMPLETE, id, "handler=general host=h model=m tokens=12 time=0.5s",
			    "The answer is 42 <b>& more</b>", slot_cb, &s2);
		} else {
			const struct issue **all;
			struct tracker *t = tracker_new();
			tracker_load(t, orig, olen, src);
			ck_assert_uint_gt(tracker_issues(t, &all), 0);
			id = xstrdup(all[0]->id);
			tracker_free(t);
			s1.done = true;
			store_submit(e.st, STORE_COMMENT, id, NULL, "a note from yggd", slot_cb, &s2);
		}
		ck_assert(tu_loop_until(e.base, &s2.done, 1, 10));
		run_until_written(&e);
		ck_assert_msg(s2.result == STORE_OK, "%s: %s: %s", de->d_name, id, s2.err);

		now = tu_read_file(e.path, NULL);
		/* the trailing newline (or its absence) is kept */
		ck_assert_int_eq(orig[olen - 1] == '\n', now[strlen(now) - 1] == '\n');
		char *ocopy = xstrdup(orig);
		on = split_lines(ocopy, &ol);
		nn = split_lines(now, &nw);
		ck_assert_uint_eq(on, nn);
		int differ = 0;
		char *needle = xasprintf("\"id\":\"%s\"", id);
		for (size_t i = 0; i < on; i++) {
			if (strcmp(ol[i], nw[i]) == 0)
				continue;
			differ++;
			ck_assert_msg(strstr(ol[i], needle) != NULL, "%s: line %zu changed but is not %s", de->d_name, i + 1, id);
			/* every member the line had is still there */
			struct json_line a = { 0 }, b = { 0 };
			ck_assert_int_eq(json_line_scan(&a, ol[i], strlen(ol[i])), 0);
			ck_assert_int_eq(json_line_scan(&b, nw[i], strlen(nw[i])), 0);
			for (size_t k = 0; k < a.n; k++) {
				char key[128];
				snprintf(key, sizeof key, "%.*s", (int)a.m[k].key_len, a.m[k].key);
				ck_assert_msg(json_line_get(&b, key) != NULL, "%s: %s lost %s", de->d_name, id, key);
			}
			json_line_free(&a);
			json_line_free(&b);
			if (nr > 0) {
				ck_assert_ptr_nonnull(strstr(nw[i], "\"status\":\"closed\""));
				ck_assert_ptr_nonnull(strstr(nw[i], "\"close_reason\":\"handler=general host=h"));
				ck_assert_ptr_nonnull(strstr(nw[i], "\"assignee\":\"yggd\""));
				ck_assert_ptr_nonnull(strstr(nw[i], "The answer is 42 \\u003cb\\u003e\\u0026 more"));
			} else
				ck_assert_ptr_nonnull(strstr(nw[i], "\"text\":\"a note from yggd\""));
			ck_assert_ptr_nonnull(strstr(nw[i], "\"author\":\"yggd\""));
		}
		ck_assert_msg(differ == 1, "%s: %d lines differ", de->d_name, differ);
		struct store_stats ss;
		store_get_stats(e.st, &ss);
		ck_assert_uint_eq(ss.writes, nr > 0 ? 2 : 1);

		free(needle);
		free(ol);
		free(nw);
		free(ocopy);
		free(now);
		free(orig);
		free(src);
		free(id);
		free(s1.err);
		free(s2.err);
		env_free(&e);
		files++;
	}
	closedir(d);
	free(dirpath);
	ck_assert_int_ge(files, 20);
}
END_TEST

/* ---------------------------------------------------------------- batching */

START_TEST(test_batching_one_rewrite)
{
	struct env e;
	struct slot s[50];
	int done = 0;
	char *text = make_issues(60, "t", "open", NULL);
	struct stat before, after;
	struct store_stats ss;

	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	ck_assert_int_eq(stat(e.path, &before), 0);
	memset(s, 0, sizeof s);
	e.watch = &done;
	e.watch_at_change = -1;
	for (int i = 0; i < 50; i++) {
		char id[16];
		snprintf(id, sizeof id, "t-%d", i + 1);
		s[i].counter = &done;
		store_submit(e.st, STORE_CLAIM, id, NULL, NULL, slot_cb, &s[i]);
	}
	/* nothing is answered from inside submit */
	ck_assert_int_eq(done, 0);
	ck_assert(tu_loop_until(e.base, &done, 50, 10));
	run_until_written(&e);
	store_get_stats(e.st, &ss);
	ck_assert_uint_eq(ss.writes, 1);
	ck_assert_uint_eq(ss.patches, 50);
	ck_assert_int_eq(stat(e.path, &after), 0);
	ck_assert(before.st_ino != after.st_ino);
	char *now = tu_read_file(e.path, NULL);
	ck_assert_int_eq(tu_count(now, "\"status\":\"in_progress\""), 50);
	ck_assert_int_eq(tu_count(now, "\"assignee\":\"yggd\""), 50);
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(s[i].result, STORE_OK);
		free(s[i].err);
	}
	/* the changed callback said so, once for the batch, before the answers */
	ck_assert_int_eq(e.changed, 1);
	ck_assert_int_eq(e.watch_at_change, 0);
	free(now);
	free(text);
	env_free(&e);
}
END_TEST

struct chain {
	struct store *st;
	char id[16];
	struct slot claim, complete;
	int *done;
};

static void
chain_claimed(int result, const char *err, void *arg)
{
	struct chain *c = arg;

	slot_cb(result, err, &c->claim);
	/* submitting from a callback: goes into the next batch */
	store_submit(c->st, STORE_COMPLETE, c->id, "done", "result", slot_cb, &c->complete);
}

START_TEST(test_callback_submits_next_batch)
{
	struct env e;
	struct chain c[5];
	int done = 0;
	char *text = make_issues(5, "t", "open", NULL);
	struct store_stats ss;

	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	memset(c, 0, sizeof c);
	for (int i = 0; i < 5; i++) {
		c[i].st = e.st;
		snprintf(c[i].id, sizeof c[i].id, "t-%d", i + 1);
		c[i].complete.counter = &done;
		store_submit(e.st, STORE_CLAIM, c[i].id, NULL, NULL, chain_claimed, &c[i]);
	}
	ck_assert(tu_loop_until(e.base, &done, 5, 10));
	run_until_written(&e);
	store_get_stats(e.st, &ss);
	ck_assert_uint_eq(ss.writes, 2);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(c[i].claim.result, STORE_OK);
		ck_assert_int_eq(c[i].complete.result, STORE_OK);
		char *l = line_of(e.path, c[i].id);
		ck_assert_ptr_nonnull(strstr(l, "\"status\":\"closed\""));
		ck_assert_ptr_nonnull(strstr(l, "\"close_reason\":\"done\""));
		free(l);
		free(c[i].claim.err);
		free(c[i].complete.err);
	}
	free(text);
	env_free(&e);
}
END_TEST

/* ---------------------------------------------------------------- compare-and-set */

START_TEST(test_cas_claim_after_external_close)
{
	struct env e;
	struct slot s = { 0 };
	char *text = make_issues(8, "t", "open", NULL);
	struct subst close5 = { "t-5", "\"status\":\"open\"", "\"status\":\"closed\"" };

	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	/* someone closes t-5 under the lock; our claim comes right after, before we saw it */
	locked_edit(e.beads, subst_edit, &close5);
	store_submit(e.st, STORE_CLAIM, "t-5", NULL, NULL, slot_cb, &s);
	ck_assert(tu_loop_until(e.base, &s.done, 1, 10));
	run_until_written(&e);
	ck_assert_int_eq(s.result, STORE_CONFLICT);
	ck_assert_ptr_nonnull(s.err);
	ck_assert_ptr_nonnull(strstr(s.err, "t-5"));
	ck_assert_ptr_nonnull(strstr(s.err, "closed"));
	char *l = line_of(e.path, "t-5");
	ck_assert_ptr_nonnull(strstr(l, "\"status\":\"closed\""));
	ck_assert_ptr_null(strstr(l, "yggd"));
	free(l);
	/* nothing applied: no rewrite */
	struct store_stats ss;
	store_get_stats(e.st, &ss);
	ck_assert_uint_eq(ss.writes, 0);
	free(s.err);
	free(text);
	env_free(&e);
}
END_TEST

START_TEST(test_cas_others_change_wins)
{
	struct env e;
	struct slot claim = { 0 }, done = { 0 }, missing = { 0 }, blocked = { 0 };
	char *text = make_issues(8, "t", "open", NULL);
	/* the operator takes t-6 back while yggd works on it */
	struct subst reopen = { "t-6", "\"status\":\"in_progress\"", "\"status\":\"open\"" };

	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	store_submit(e.st, STORE_CLAIM, "t-6", NULL, NULL, slot_cb, &claim);
	ck_assert(tu_loop_until(e.base, &claim.done, 1, 10));
	run_until_written(&e);
	ck_assert_int_eq(claim.result, STORE_OK);
	locked_edit(e.beads, subst_edit, &reopen);
	store_submit(e.st, STORE_COMPLETE, "t-6", "done", "result", slot_cb, &done);
	store_submit(e.st, STORE_CLAIM, "t-99", NULL, NULL, slot_cb, &missing);
	/* blocked by an open blocker: not ready, so not claimable */
	store_submit(e.st, STORE_CLAIM, "t-7", NULL, NULL, slot_cb, &blocked);
	struct subst dep = { "t-7", "\"issue_type\":\"task\"",
		"\"issue_type\":\"task\",\"dependencies\":[{\"issue_id\":\"t-7\",\"depends_on_id\":\"t-8\",\"type\":\"blocks\"}]" };
	locked_edit(e.beads, subst_edit, &dep);
	ck_assert(tu_loop_until(e.base, &blocked.done, 1, 10));
	run_until_written(&e);
	ck_assert(done.done && missing.done);
	ck_assert_int_eq(done.result, STORE_CONFLICT);
	ck_assert_ptr_nonnull(strstr(done.err, "t-6"));
	ck_assert_int_eq(missing.result, STORE_CONFLICT);
	ck_assert_ptr_nonnull(strstr(missing.err, "t-99"));
	ck_assert_int_eq(blocked.result, STORE_CONFLICT);
	ck_assert_ptr_nonnull(strstr(blocked.err, "t-7"));
	char *l = line_of(e.path, "t-6");
	ck_assert_ptr_nonnull(strstr(l, "\"status\":\"open\""));
	ck_assert_ptr_null(strstr(l, "\"closed_at\""));
	free(l);
	l = line_of(e.path, "t-7");
	ck_assert_ptr_nonnull(strstr(l, "\"status\":\"open\""));
	free(l);
	free(claim.err);
	free(done.err);
	free(missing.err);
	free(blocked.err);
	free(text);
	env_free(&e);
}
END_TEST

/* ---------------------------------------------------------------- files */

START_TEST(test_mode_kept)
{
	struct env e;
	struct slot s = { 0 };
	char *text = make_issues(3, "t", "open", NULL);
	struct stat sb;

	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	ck_assert_int_eq(chmod(e.path, 0640), 0);
	env_start(&e);
	store_submit(e.st, STORE_CLAIM, "t-1", NULL, NULL, slot_cb, &s);
	ck_assert(tu_loop_until(e.base, &s.done, 1, 10));
	run_until_written(&e);
	ck_assert_int_eq(s.result, STORE_OK);
	ck_assert_int_eq(stat(e.path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0640);
	/* no temp file is left behind */
	DIR *d = opendir(e.beads);
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		ck_assert_msg(strncmp(de->d_name, ".issues.jsonl.yggd-", 19) != 0, "left %s", de->d_name);
	closedir(d);
	free(text);
	env_free(&e);
}
END_TEST

START_TEST(test_bad_lines_and_crlf_kept)
{
	struct env e;
	struct slot s = { 0 };
	const char *text =
	    "{\"id\":\"c-1\",\"title\":\"one\",\"status\":\"open\",\"priority\":1,\"issue_type\":\"task\"}\r\n"
	    "this is { not json\r\n"
	    "{\"_type\":\"memory\",\"key\":\"k\",\"value\":\"v\"}\r\n"
	    "\r\n"
	    "{\"id\":\"c-2\",\"title\":\"two\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\",\"x-unknown\":{\"a\":[1,2]}}";

	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	store_submit(e.st, STORE_CLAIM, "c-2", NULL, NULL, slot_cb, &s);
	ck_assert(tu_loop_until(e.base, &s.done, 1, 10));
	run_until_written(&e);
	ck_assert_int_eq(s.result, STORE_OK);
	char *now = tu_read_file(e.path, NULL);
	/* everything up to c-2's line is byte for byte the same, CRLF and all */
	const char *c2 = strstr(text, "{\"id\":\"c-2\"");
	ck_assert_int_eq(strncmp(now, text, (size_t)(c2 - text)), 0);
	ck_assert_ptr_nonnull(strstr(now, "\"x-unknown\":{\"a\":[1,2]}"));
	ck_assert_ptr_nonnull(strstr(now, "\"status\":\"in_progress\""));
	/* no newline at the end before, none after */
	ck_assert_int_ne(now[strlen(now) - 1], '\n');
	free(now);
	free(s.err);
	env_free(&e);
}
END_TEST

START_TEST(test_append_lines)
{
	char *tmp = tu_tmpdir();
	char *beads = xasprintf("%s/new/.beads", tmp), *path = xasprintf("%s/issues.jsonl", beads);
	char *parent = xasprintf("%s/new", tmp);
	const char *two[] = { "{\"id\":\"a-1\"}", "{\"id\":\"a-2\"}" };
	const char *bad[] = { "{\"id\":\"a-3\"}\n{\"id\":\"a-4\"}" };
	char *cause = NULL, *text;
	struct stat sb;

	ck_assert_int_eq(mkdir(parent, 0755), 0);
	/* folder and file are created */
	ck_assert_int_eq(jsonl_append_lines(beads, two, 2, &cause), 0);
	text = tu_read_file(path, NULL);
	ck_assert_str_eq(text, "{\"id\":\"a-1\"}\n{\"id\":\"a-2\"}\n");
	free(text);
	/* an existing file without a final newline gets one; its bytes stay; CRLF stays CRLF */
	tu_write_file(path, "{\"id\":\"b-1\"} \r\n{\"id\":\"b-2\"}");
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(jsonl_append_lines(beads, two, 1, &cause), 0);
	text = tu_read_file(path, NULL);
	ck_assert_str_eq(text, "{\"id\":\"b-1\"} \r\n{\"id\":\"b-2\"}\r\n{\"id\":\"a-1\"}\r\n");
	free(text);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	/* a record with a newline in it is refused, and nothing is written */
	ck_assert_int_eq(jsonl_append_lines(beads, bad, 1, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "newline"));
	free(cause);
	text = tu_read_file(path, NULL);
	ck_assert_int_eq(tu_count(text, "a-3"), 0);
	free(text);
	tu_rmtree(tmp);
	free(tmp);
	free(beads);
	free(path);
	free(parent);
}
END_TEST

START_TEST(test_failed_write_goes_back_to_disk)
{
	struct env e;
	struct slot s = { 0 };
	char *text = make_issues(3, "t", "open", NULL), *now;
	const struct issue **rd;
	struct rlimit old, small;

	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	ck_assert_uint_eq(store_ready(e.st, now_wall_ns(), &rd), 3);
	/* a disk that takes nothing more: every write past 64 bytes fails (EFBIG) */
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 64;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	struct slot c = { 0 };
	store_submit(e.st, STORE_CLAIM, "t-2", NULL, NULL, slot_cb, &s);
	store_submit(e.st, STORE_COMMENT, "t-1", NULL, "a note", slot_cb, &c);
	bool answered = tu_loop_until(e.base, &c.done, 1, 10);
	run_until_written(&e);
	/* the limit is the process's: lift it before anything else writes (CK_FORK=no) */
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	ck_assert(answered);
	/* a claim is decided under the lock before its rewrite lands: answered ok... */
	ck_assert_int_eq(s.result, STORE_OK);
	/* ...the other changes wait for the disk, which said no */
	ck_assert_int_eq(c.result, STORE_ERROR);
	ck_assert_msg(strstr(c.err, "cannot write") != NULL, "%s", c.err);
	free(c.err);
	/* the file is as it was, no temp file is left, and the view is the disk's again */
	now = tu_read_file(e.path, NULL);
	ck_assert_str_eq(now, text);
	DIR *d = opendir(e.beads);
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		ck_assert_msg(strncmp(de->d_name, ".issues.jsonl.yggd-", 19) != 0, "left %s", de->d_name);
	closedir(d);
	ck_assert_uint_eq(store_ready(e.st, now_wall_ns(), &rd), 3);
	ck_assert_str_eq(store_lookup(e.st, "t-2")->status, "open");
	ck_assert_int_ge(e.changed, 2);
	free(now);
	free(s.err);
	free(text);
	env_free(&e);
}
END_TEST

/* Two daemons on one tracker (DESIGN "Several dispatchers"): each issue is claimed once. */
START_TEST(test_two_dispatchers_claim_once)
{
	struct env e;
	struct ygg_config *cfg2;
	struct store *st2;
	struct slot a[30], b[30];
	int done = 0;
	char *cause = NULL, *text = make_issues(30, "t", "open", NULL);

	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	cfg2 = make_cfg(e.tmp, e.beads, "jsonl", "poll_interval = 30");
	free(cfg2->assignee);
	cfg2->assignee = xstrdup("yggd-b");
	st2 = store_new(e.base, cfg2, &cause);
	ck_assert_ptr_nonnull(st2);
	ck_assert_int_eq(store_start(st2), 0);
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	for (int i = 0; i < 30; i++) {
		char id[16];
		snprintf(id, sizeof id, "t-%d", i + 1);
		a[i].counter = b[i].counter = &done;
		/* one asks in order, the other backwards: they meet in the middle */
		store_submit(e.st, STORE_CLAIM, id, NULL, NULL, slot_cb, &a[i]);
		snprintf(id, sizeof id, "t-%d", 30 - i);
		store_submit(st2, STORE_CLAIM, id, NULL, NULL, slot_cb, &b[29 - i]);
	}
	ck_assert(tu_loop_until(e.base, &done, 60, 20));
	run_until_written(&e);
	char *now = tu_read_file(e.path, NULL);
	for (int i = 0; i < 30; i++) {
		ck_assert_int_ne(a[i].result, STORE_ERROR);
		ck_assert_int_ne(b[i].result, STORE_ERROR);
		/* exactly one of the two won each issue, and the file says which */
		ck_assert_msg((a[i].result == STORE_OK) != (b[i].result == STORE_OK), "t-%d claimed %s", i + 1,
		    a[i].result == STORE_OK ? "twice" : "by nobody");
		char id[16];
		snprintf(id, sizeof id, "t-%d", i + 1);
		char *l = line_of(e.path, id);
		ck_assert_ptr_nonnull(strstr(l, a[i].result == STORE_OK ? "\"assignee\":\"yggd\"" : "\"assignee\":\"yggd-b\""));
		free(l);
		free(a[i].err);
		free(b[i].err);
	}
	ck_assert_int_eq(tu_count(now, "\"status\":\"in_progress\""), 30);
	free(now);
	store_stop(st2);
	store_free(st2);
	config_free(cfg2);
	free(text);
	env_free(&e);
}
END_TEST

/* ---------------------------------------------------------------- watching */

START_TEST(test_watch_folder_appears_and_returns)
{
	struct env e;
	const struct issue **rd;
	char *text = make_issues(4, "w", "open", NULL);
	struct store_stats ss;

	/* poll_interval 30: anything seen within seconds came through inotify */
	env_init(&e, "poll_interval = 30");
	env_start(&e);
	ck_assert_uint_eq(store_ready(e.st, now_wall_ns(), &rd), 0);

	ck_assert_int_eq(mkdir(e.beads, 0755), 0);
	replace_file(e.path, text);
	ck_assert_msg(tu_loop_until(e.base, &e.changed, 1, 5), "the new file was not noticed");
	ck_assert_uint_eq(store_ready(e.st, now_wall_ns(), &rd), 4);

	/* the whole folder goes away: an empty tracker */
	tu_rmtree(e.beads);
	ck_assert_msg(tu_loop_until(e.base, &e.changed, 2, 5), "the removal was not noticed");
	ck_assert_uint_eq(store_ready(e.st, now_wall_ns(), &rd), 0);

	/* and comes back: watched again */
	ck_assert_int_eq(mkdir(e.beads, 0755), 0);
	char *two = make_issues(2, "w", "open", NULL);
	replace_file(e.path, two);
	ck_assert_msg(tu_loop_until(e.base, &e.changed, 3, 5), "the recreated folder is not watched");
	ck_assert_uint_eq(store_ready(e.st, now_wall_ns(), &rd), 2);

	/* an in-place edit (no rename) is seen too */
	char *more = make_issues(3, "w", "open", NULL);
	tu_write_file(e.path, more);
	ck_assert_msg(tu_loop_until(e.base, &e.changed, 4, 5), "an in-place write was not noticed");
	ck_assert_uint_eq(store_ready(e.st, now_wall_ns(), &rd), 3);
	store_get_stats(e.st, &ss);
	ck_assert_uint_ge(ss.reads, 3);
	free(more);
	free(two);
	free(text);
	env_free(&e);
}
END_TEST

START_TEST(test_unchanged_poll_reads_nothing)
{
	struct env e;
	struct store_stats ss, ss2;
	struct slot s = { 0 };
	char *text = make_issues(20, "p", "open", NULL);

	env_init(&e, "poll_interval = 0.02");
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	store_get_stats(e.st, &ss);
	ck_assert_uint_eq(ss.reads, 1);
	ck_assert_uint_eq(ss.reparsed, 20);
	run_for(e.base, 0.3);
	store_get_stats(e.st, &ss2);
	ck_assert_uint_eq(ss2.reads, 1);
	ck_assert_int_eq(e.changed, 0);

	/* our own write: the inotify event for our rename does not read the file again */
	store_submit(e.st, STORE_CLAIM, "p-3", NULL, NULL, slot_cb, &s);
	ck_assert(tu_loop_until(e.base, &s.done, 1, 5));
	run_until_written(&e);
	run_for(e.base, 0.2);
	store_get_stats(e.st, &ss2);
	ck_assert_uint_eq(ss2.reads, 1);
	ck_assert_uint_eq(ss2.writes, 1);

	/* someone appends one line: one read, one line parsed */
	struct subst add = { "p-20", "}", "}\n{\"id\":\"p-21\",\"title\":\"new\",\"status\":\"open\"}" };
	locked_edit(e.beads, subst_edit, &add);
	ck_assert(tu_loop_until(e.base, &e.changed, 2, 5));
	store_get_stats(e.st, &ss2);
	ck_assert_uint_eq(ss2.reads, 2);
	ck_assert_uint_eq(ss2.reparsed, 21);
	ck_assert_ptr_nonnull(store_lookup(e.st, "p-21"));
	free(s.err);
	free(text);
	env_free(&e);
}
END_TEST

/* ---------------------------------------------------------------- views */

START_TEST(test_ready_defer_boundary_and_mine)
{
	struct env e;
	const struct issue **rd, **rd2, **mine;
	int64_t now = now_wall_ns();
	char later[64], text[2048];

	time_format_like(now + 2000000000LL, "2025-01-01T00:00:00Z", later, sizeof later);
	snprintf(text, sizeof text,
	    "{\"id\":\"d-1\",\"title\":\"a\",\"status\":\"open\",\"priority\":1,\"created_at\":\"2025-01-01T00:00:00Z\"}\n"
	    "{\"id\":\"d-2\",\"title\":\"b\",\"status\":\"open\",\"priority\":0,\"created_at\":\"2025-01-02T00:00:00Z\","
	    "\"defer_until\":\"%s\"}\n"
	    "{\"id\":\"d-3\",\"title\":\"c\",\"status\":\"in_progress\",\"assignee\":\"yggd\"}\n"
	    "{\"id\":\"d-4\",\"title\":\"d\",\"status\":\"in_progress\",\"assignee\":\"alice\"}\n",
	    later);
	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	ck_assert_uint_eq(store_ready(e.st, now, &rd), 1);
	ck_assert_str_eq(rd[0]->id, "d-1");
	/* nothing changed and no boundary crossed: the same cached list */
	ck_assert_uint_eq(store_ready(e.st, now + 500000000LL, &rd2), 1);
	ck_assert_ptr_eq(rd, rd2);
	/* past the defer_until: d-2 (priority 0) comes first */
	ck_assert_uint_eq(store_ready(e.st, now + 3000000000LL, &rd), 2);
	ck_assert_str_eq(rd[0]->id, "d-2");
	ck_assert_str_eq(rd[1]->id, "d-1");
	ck_assert_uint_eq(store_mine_in_progress(e.st, &mine), 1);
	ck_assert_str_eq(mine[0]->id, "d-3");
	ck_assert_str_eq(store_lookup(e.st, "d-4")->assignee, "alice");
	ck_assert_ptr_null(store_lookup(e.st, "d-9"));
	env_free(&e);
}
END_TEST

/* ---------------------------------------------------------------- locking */

START_TEST(test_waits_for_lock_without_blocking)
{
	struct env e;
	struct slot s = { 0 };
	char *text = make_issues(3, "t", "open", NULL);
	int ticks = 0, pipefd[2];
	struct event *tick;
	pid_t pid;

	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		char *lp = xasprintf("%s/.jsonl.lock", e.beads);
		int fd = open(lp, O_RDONLY | O_CREAT, 0600);
		flock(fd, LOCK_EX);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		tu_sleep(0.5);
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	tick = event_new(e.base, -1, EV_PERSIST, tick_cb, &ticks);
	struct timeval tv = { 0, 10000 };
	evtimer_add(tick, &tv);
	store_submit(e.st, STORE_CLAIM, "t-2", NULL, NULL, slot_cb, &s);
	ck_assert(tu_loop_until(e.base, &s.done, 1, 10));
	run_until_written(&e);
	/* the loop kept running while the lock was held */
	ck_assert_int_ge(ticks, 20);
	ck_assert_int_eq(s.result, STORE_OK);
	ck_assert_int_eq(tu_wait(pid, 5), 0);
	event_free(tick);
	close(pipefd[0]);
	close(pipefd[1]);
	free(text);
	env_free(&e);
}
END_TEST

/*
 * Children for the concurrent-writer tests. The reader re-parses the file
 * continuously and fails on anything partial; the writers edit under the lock
 * (or without it) the way bd and editors do.
 */
static void
child_reader(const char *path, const char *stopfile)
{
	int reads = 0;

	while (access(stopfile, F_OK) != 0) {
		char *data;
		size_t len;

		if (read_file(path, &data, &len) == -1)
			_exit(3);
		if (len == 0 || data[len - 1] != '\n') {
			fprintf(stderr, "reader: partial file (%zu bytes)\n", len);
			_exit(1);
		}
		char **lines;
		size_t n = split_lines(data, &lines);
		for (size_t i = 0; i < n; i++) {
			struct json_line jl = { 0 };
			if (lines[i][0] == '\0' && i + 1 == n)
				continue;
			if (json_line_scan(&jl, lines[i], strlen(lines[i])) != 0) {
				fprintf(stderr, "reader: bad line %zu: %.100s\n", i + 1, lines[i]);
				_exit(2);
			}
			json_line_free(&jl);
		}
		free(lines);
		free(data);
		reads++;
	}
	_exit(reads > 0 ? 0 : 4);
}

struct wr {
	int i;
	bool unlocked;
};

/* Append issue a-<i> and set x-<i % 20>'s notes to "n<i>". */
static void
writer_edit(struct buf *b, void *arg)
{
	const struct wr *w = arg;
	char needle[32], *at, *q, *end;
	struct buf out;

	snprintf(needle, sizeof needle, "\"id\":\"x-%d\"", w->i % 20 + 1);
	at = strstr(b->p, needle);
	if (at == NULL)
		_exit(10);
	q = strstr(at, "\"notes\":\"");
	end = q != NULL ? strchr(q + 9, '"') : NULL;
	if (end == NULL)
		_exit(11);
	buf_init(&out);
	buf_add(&out, b->p, (size_t)(q + 9 - b->p));
	buf_printf(&out, "%s%d", w->unlocked ? "u" : "n", w->i);
	buf_adds(&out, end);
	if (!w->unlocked)
		buf_printf(&out, "{\"id\":\"a-%d\",\"title\":\"appended %d\",\"status\":\"closed\"}\n", w->i, w->i);
	buf_free(b);
	*b = out;
}

static void
child_writer(const char *beads, int count, bool unlocked)
{
	for (int i = 1; i <= count; i++) {
		struct wr w = { i, unlocked };
		if (unlocked) {
			/* rewrite by rename without taking the lock */
			char *path = xasprintf("%s/issues.jsonl", beads), *tmp = xasprintf("%s/unlocked.tmp", beads), *data;
			size_t len;
			struct buf b;
			if (read_file(path, &data, &len) == -1)
				_exit(12);
			buf_init(&b);
			buf_add(&b, data, len);
			free(data);
			writer_edit(&b, &w);
			int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd == -1 || write(fd, b.p, b.len) != (ssize_t)b.len)
				_exit(13);
			close(fd);
			if (rename(tmp, path) == -1)
				_exit(14);
			buf_free(&b);
			free(path);
			free(tmp);
		} else
			locked_edit(beads, writer_edit, &w);
		tu_sleep(0.002);
	}
	_exit(0);
}

struct conc {
	struct env *e;
	struct chain c[200];
	int done, claims;
	int64_t max_flush_us;
};

static void
conc_claimed(int result, const char *err, void *arg)
{
	struct chain *c = arg;

	slot_cb(result, err, &c->claim);
	if (result == STORE_OK)
		store_submit(c->st, STORE_COMPLETE, c->id, "done", "result text", slot_cb, &c->complete);
	else {
		c->complete.done = true;
		(*c->done)++;
	}
}

static void
run_concurrent(bool unlocked)
{
	struct env e;
	struct conc *k = xcalloc(1, sizeof *k);
	char *tasks = make_issues(200, "t", "open", NULL);
	char *xs = make_issues(20, "x", "closed", ",\"notes\":\"n0\"");
	char *text = xasprintf("%s%s", tasks, xs);
	char *stopfile;
	pid_t reader, writer;
	struct store_stats ss;
	int writes = unlocked ? 60 : 100;

	env_init(&e, "poll_interval = 0.05");
	stopfile = xasprintf("%s/stop", e.tmp);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	k->e = &e;
	reader = fork();
	if (reader == 0)
		child_reader(e.path, stopfile);
	writer = fork();
	if (writer == 0)
		child_writer(e.beads, writes, unlocked);

	/*
	 * Hundreds of patches while the others write: 200 claims in waves of 10,
	 * a wave once the last one is answered, each claim followed by its close.
	 */
	for (int i = 0; i < 200; i++) {
		struct chain *c = &k->c[i];
		c->st = e.st;
		c->done = &k->done;
		c->claim.counter = &k->claims;
		c->complete.counter = &k->done;
		snprintf(c->id, sizeof c->id, "t-%d", i + 1);
		store_submit(e.st, STORE_CLAIM, c->id, NULL, NULL, conc_claimed, c);
		if (i % 10 == 9) {
			ck_assert(tu_loop_until(e.base, &k->claims, i + 1, 30));
			store_get_stats(e.st, &ss);
			if ((int64_t)(ss.last_flush * 1e6) > k->max_flush_us)
				k->max_flush_us = (int64_t)(ss.last_flush * 1e6);
		}
	}
	ck_assert_msg(tu_loop_until(e.base, &k->done, 200, 30), "only %d of 200 tasks answered", k->done);
	ck_assert_int_eq(tu_wait(writer, 30), 0);
	run_for(e.base, 0.1);
	tu_write_file(stopfile, "stop");
	ck_assert_msg(tu_wait(reader, 10) == 0, "the reader saw a partial or invalid file");
	store_get_stats(e.st, &ss);
	fprintf(stderr, "store_jsonl concurrent(%s): %llu rewrites, %llu reads, longest flush seen %.2f ms\n",
	    unlocked ? "unlocked" : "locked", (unsigned long long)ss.writes, (unsigned long long)ss.reads,
	    (double)k->max_flush_us / 1e3);

	assert_file_valid(e.path);
	char *final = tu_read_file(e.path, NULL);
	int ok = 0;
	for (int i = 0; i < 200; i++) {
		struct chain *c = &k->c[i];
		ck_assert_msg(c->claim.result != STORE_ERROR, "%s: %s", c->id, c->claim.err);
		ck_assert_msg(!c->complete.done || c->complete.result != STORE_ERROR, "%s: %s", c->id, c->complete.err);
		if (!unlocked) {
			/* with every writer locking, nothing is lost: each claim and close is on disk */
			ck_assert_int_eq(c->claim.result, STORE_OK);
			ck_assert_int_eq(c->complete.result, STORE_OK);
			char *l = line_of(e.path, c->id);
			ck_assert_ptr_nonnull(strstr(l, "\"status\":\"closed\""));
			free(l);
		}
		if (c->claim.result == STORE_OK && c->complete.result == STORE_OK)
			ok++;
		free(c->claim.err);
		free(c->complete.err);
	}
	ck_assert_int_gt(ok, 0);
	if (!unlocked) {
		/* every locked external edit is present */
		for (int i = 1; i <= writes; i++) {
			char id[16];
			snprintf(id, sizeof id, "a-%d", i);
			char *l = line_of(e.path, id);
			ck_assert_msg(l != NULL, "the locked writer's %s was lost", id);
			free(l);
		}
		for (int x = 1; x <= 20; x++) {
			char id[16], want[32];
			int last = 0;
			for (int i = 1; i <= writes; i++)
				if (i % 20 + 1 == x)
					last = i;
			snprintf(id, sizeof id, "x-%d", x);
			snprintf(want, sizeof want, "\"notes\":\"n%d\"", last);
			char *l = line_of(e.path, id);
			ck_assert_msg(strstr(l, want) != NULL, "%s lost its last locked edit %s: %s", id, want, l);
			free(l);
		}
	} else {
		/* one writer's whole version: every line whole, each id once */
		for (int i = 1; i <= 200; i++) {
			char needle[32];
			snprintf(needle, sizeof needle, "\"id\":\"t-%d\"", i);
			ck_assert_int_eq(tu_count(final, needle), 1);
		}
		char **lines;
		size_t n = split_lines(final, &lines);
		size_t issues = 0;
		for (size_t i = 0; i < n; i++)
			if (lines[i][0] != '\0')
				issues++;
		ck_assert_uint_eq(issues, 220);
		free(lines);
	}
	free(final);
	free(stopfile);
	free(text);
	free(tasks);
	free(xs);
	free(k);
	env_free(&e);
}

START_TEST(test_concurrent_locked_writer)
{
	run_concurrent(false);
}
END_TEST

START_TEST(test_concurrent_unlocked_writer)
{
	run_concurrent(true);
}
END_TEST

START_TEST(test_stop_flushes_and_auto_without_bd)
{
	struct env e;
	struct slot s = { 0 };
	char *text = make_issues(3, "t", "open", NULL);
	char *cause = NULL;
	const char *why;

	env_init(&e, NULL);
	mkdir(e.beads, 0755);
	tu_write_file(e.path, text);
	env_start(&e);
	store_submit(e.st, STORE_CLAIM, "t-1", NULL, NULL, slot_cb, &s);
	/* stop writes what is queued, and answers, before it returns */
	store_stop(e.st);
	ck_assert(s.done);
	ck_assert_int_eq(s.result, STORE_OK);
	char *l = line_of(e.path, "t-1");
	ck_assert_ptr_nonnull(strstr(l, "in_progress"));
	free(l);

	/* store = auto with no database in the folder is jsonl */
	struct ygg_config *cfg = make_cfg(e.tmp, e.beads, "auto", "bd = /nonexistent/bd");
	ck_assert_int_eq(store_auto_wants_bd(cfg, &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "no bd"));
	struct store *st = store_new(e.base, cfg, &cause);
	ck_assert_ptr_nonnull(st);
	ck_assert_str_eq(store_name(st), "jsonl");
	store_free(st);
	config_free(cfg);
	free(s.err);
	free(text);
	env_free(&e);
}
END_TEST

Suite *
store_jsonl_suite(void)
{
	Suite *s = suite_create("store_jsonl");
	TCase *tc = tcase_create("store_jsonl");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corpus_single_line_changes);
	tcase_add_test(tc, test_batching_one_rewrite);
	tcase_add_test(tc, test_callback_submits_next_batch);
	tcase_add_test(tc, test_cas_claim_after_external_close);
	tcase_add_test(tc, test_cas_others_change_wins);
	tcase_add_test(tc, test_mode_kept);
	tcase_add_test(tc, test_bad_lines_and_crlf_kept);
	tcase_add_test(tc, test_append_lines);
	tcase_add_test(tc, test_failed_write_goes_back_to_disk);
	tcase_add_test(tc, test_two_dispatchers_claim_once);
	tcase_add_test(tc, test_watch_folder_appears_and_returns);
	tcase_add_test(tc, test_unchanged_poll_reads_nothing);
	tcase_add_test(tc, test_ready_defer_boundary_and_mine);
	tcase_add_test(tc, test_waits_for_lock_without_blocking);
	tcase_add_test(tc, test_concurrent_locked_writer);
	tcase_add_test(tc, test_concurrent_unlocked_writer);
	tcase_add_test(tc, test_stop_flushes_and_auto_without_bd);
	suite_add_tcase(s, tc);
	return s;
}
