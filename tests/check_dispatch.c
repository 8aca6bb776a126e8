/*
 * check_dispatch.c - end to end: mock LLM hosts on loopback, a temporary tracker,
 * the real yggd --drain, and then what a user would look at: the tracker file, the
 * artifacts folder, and what each mock host saw.
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

struct env {
	char *dir;
	char *beads;
	char *tracker;
	char *config;
	char *log;
	pid_t mock[4];
	int port[4];
	int nmock;
};

static void
env_init(struct env *e)
{
	memset(e, 0, sizeof *e);
	e->dir = tu_tmpdir();
	e->beads = xasprintf("%s/.beads", e->dir);
	mkdir(e->beads, 0755);
	e->tracker = xasprintf("%s/issues.jsonl", e->beads);
	e->config = xasprintf("%s/ygg.ini", e->dir);
	e->log = xasprintf("%s/yggd.log", e->dir);
}

static int
env_mock(struct env *e, char *const extra[])
{
	int i = e->nmock++;

	e->mock[i] = tu_mock_start(&e->port[i], extra);
	ck_assert_msg(e->port[i] > 0, "mockhost did not start");
	return e->port[i];
}

static void
env_free(struct env *e)
{
	for (int i = 0; i < e->nmock; i++)
		tu_mock_stop(e->mock[i]);
	if (getenv("YGG_SHOW_LOG") != NULL) {
		char *l = tu_read_file(e->log, NULL);
		fprintf(stderr, "%s", l != NULL ? l : "");
		free(l);
	}
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->beads);
	free(e->tracker);
	free(e->config);
	free(e->log);
}

/* Run yggd --drain on the environment's config; returns its exit status. */
static int
env_drain(struct env *e, double timeout)
{
	char *bin = tu_bin("yggd");
	char *argv[] = { bin, "-c", e->config, "--drain", "-v", NULL };
	pid_t pid = tu_spawn(argv, e->log);
	int rc = tu_wait(pid, timeout);

	free(bin);
	if (rc != 0) {
		char *l = tu_read_file(e->log, NULL);
		fprintf(stderr, "yggd exited %d; its log:\n%s\n", rc, l != NULL ? l : "");
		free(l);
	}
	return rc;
}

/* The tracker as json-c objects by id. */
static struct json_object *
load_tracker(const char *path)
{
	size_t len;
	char *data = tu_read_file(path, &len);
	struct json_object *byid = json_object_new_object();

	ck_assert_ptr_nonnull(data);
	for (char *line = strtok(data, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		struct json_object *o = json_tokener_parse(line);
		struct json_object *id;
		if (o != NULL && json_object_object_get_ex(o, "id", &id))
			json_object_object_add(byid, json_object_get_string(id), o);
		else
			json_object_put(o);
	}
	free(data);
	return byid;
}

static const char *
field(struct json_object *byid, const char *id, const char *key)
{
	struct json_object *o, *v;

	if (!json_object_object_get_ex(byid, id, &o) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static int
ncomments(struct json_object *byid, const char *id)
{
	struct json_object *o, *v;

	if (!json_object_object_get_ex(byid, id, &o) || !json_object_object_get_ex(o, "comments", &v))
		return 0;
	return (int)json_object_array_length(v);
}

static const char *
last_comment(struct json_object *byid, const char *id)
{
	struct json_object *o, *v, *c, *t;

	if (!json_object_object_get_ex(byid, id, &o) || !json_object_object_get_ex(o, "comments", &v))
		return NULL;
	c = json_object_array_get_idx(v, json_object_array_length(v) - 1);
	return json_object_object_get_ex(c, "text", &t) ? json_object_get_string(t) : NULL;
}

static struct json_object *
mock_stats(int port)
{
	long status;
	char *body = tu_http_get(port, "/_mock/stats", &status);
	struct json_object *o = json_tokener_parse(body);

	ck_assert_int_eq(status, 200);
	ck_assert_ptr_nonnull(o);
	free(body);
	return o;
}

static int
stat_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

/* The task ids in the order the mock saw their requests start. */
static char **
mock_order(struct json_object *stats, size_t *n)
{
	struct json_object *log, *e, *task;
	size_t len;
	char **v;

	ck_assert(json_object_object_get_ex(stats, "log", &log));
	len = json_object_array_length(log);
	v = xcalloc(len + 1, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < len; i++) {
		e = json_object_array_get_idx(log, i);
		if (json_object_object_get_ex(e, "task", &task) && json_object_get_string(task) != NULL &&
		    *json_object_get_string(task) != '\0')
			v[(*n)++] = xstrdup(json_object_get_string(task));
	}
	return v;
}

static const char *issue_fmt =
    "{\"id\":\"%s\",\"title\":\"%s\",\"description\":\"%s\",\"status\":\"%s\",\"priority\":%d,"
    "\"issue_type\":\"task\",\"labels\":[%s],\"created_at\":\"2026-01-0%dT10:00:00Z\","
    "\"updated_at\":\"2026-01-01T10:00:00Z\"%s}\n";

static void
add_issue(FILE *f, const char *id, const char *title, const char *desc, const char *status, int prio,
    const char *labels, int day, const char *extra)
{
	fprintf(f, issue_fmt, id, title, desc, status, prio, labels, day, extra);
}

static void
write_config(struct env *e, const char *hosts_and_handlers)
{
	char *plugins = tu_build("plugins");

	tu_write_filef(e->config,
	    "[yggd]\nstore = jsonl\nbeads_dir = .beads\nplugin_dir = %s\nartifacts_dir = artifacts\n"
	    "control = off\npoll_interval = 1\nmax_attempts = 2\nbackoff_base = 0.05\nbackoff_max = 0.2\n"
	    "shutdown_grace = 5\nhealth_interval = 0.2\n\n%s",
	    plugins, hosts_and_handlers);
	free(plugins);
}

/*
 * Six types, priorities 0-4, blocking dependencies, two hosts speaking the two
 * APIs. Afterwards: every ready task closed with a reason and a result comment,
 * result.md on disk, blocked and non-ready issues byte-for-byte untouched.
 */
START_TEST(test_drain_all_types)
{
	struct env e;
	int po, pa;
	FILE *f;
	static const char *const types[] = { "code-generation", "text-processing", "reasoning", "summarize",
		"general", "artifact" };
	char *before, *after;

	env_init(&e);
	po = env_mock(&e, (char *const[]){ "--latency", "30", NULL });
	pa = env_mock(&e, (char *const[]){ "--latency", "30", NULL });
	char *hosts = xasprintf(
	    "[host.olla]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 2\n\n"
	    "[host.oai]\nurl = http://127.0.0.1:%d\napi = openai\nmodel = m\nslots = 3\n\n"
	    "[handler.code-generation]\nhosts = olla, oai\n\n[handler.text-processing]\nhosts = oai\n\n"
	    "[handler.reasoning]\nhosts = olla\n\n[handler.summarize]\nhosts = oai, olla\n\n"
	    "[handler.general]\nhosts = oai\ndefault = yes\n\n[handler.artifact]\nhosts = olla\n",
	    po, pa);
	write_config(&e, hosts);
	free(hosts);

	f = fopen(e.tracker, "w");
	for (int i = 0; i < 12; i++) {
		char id[32], labels[64], title[64];
		snprintf(id, sizeof id, "t-%d", i + 1);
		snprintf(labels, sizeof labels, "\"ygg:%s\"", types[i % 6]);
		snprintf(title, sizeof title, "Task %d for %s", i + 1, types[i % 6]);
		add_issue(f, id, title, "Do the thing \\u003cnow\\u003e.", "open", i % 5, labels, 1 + i % 9, "");
	}
	/* blocked by an open issue: must stay untouched */
	add_issue(f, "t-blocked", "Waits", "x", "open", 0, "\"ygg:general\"", 1,
	    ",\"dependencies\":[{\"issue_id\":\"t-blocked\",\"depends_on_id\":\"t-gate\",\"type\":\"blocks\"}]");
	add_issue(f, "t-gate", "Gate", "x", "deferred", 0, "", 1, "");
	add_issue(f, "t-done", "Old", "x", "closed", 0, "", 1, "");
	fputs("{\"_type\":\"memory\",\"key\":\"k\",\"value\":\"v\"}\n", f);
	fclose(f);
	before = tu_read_file(e.tracker, NULL);

	ck_assert_int_eq(env_drain(&e, 60), 0);

	struct json_object *t = load_tracker(e.tracker);
	for (int i = 0; i < 12; i++) {
		char id[32];
		snprintf(id, sizeof id, "t-%d", i + 1);
		ck_assert_msg(field(t, id, "status") != NULL && strcmp(field(t, id, "status"), "closed") == 0,
		    "%s is %s", id, field(t, id, "status"));
		ck_assert_ptr_nonnull(field(t, id, "closed_at"));
		ck_assert_ptr_nonnull(strstr(field(t, id, "close_reason"), types[i % 6]));
		ck_assert_int_eq(ncomments(t, id), 1);
		ck_assert_ptr_nonnull(strstr(last_comment(t, id), id)); /* the mock's reply names the task */
		char *rmd = xasprintf("%s/artifacts/%s/result.md", e.dir, id);
		ck_assert_msg(access(rmd, R_OK) == 0, "%s missing", rmd);
		free(rmd);
	}
	/* Lines of issues yggd did not dispatch are byte for byte what they were. */
	after = tu_read_file(e.tracker, NULL);
	static const char *const untouched[] = { "\"id\":\"t-blocked\"", "\"id\":\"t-gate\"", "\"id\":\"t-done\"",
		"\"_type\":\"memory\"" };
	for (size_t i = 0; i < 4; i++) {
		const char *b = strstr(before, untouched[i]), *a = strstr(after, untouched[i]);
		ck_assert_ptr_nonnull(a);
		while (b > before && b[-1] != '\n')
			b--;
		char *line = xstrndup(b, strcspn(b, "\n"));
		bool kept = strstr(after, line) != NULL;
		ck_assert_msg(kept, "line changed: %s", line);
		free(line);
	}
	ck_assert_str_eq(field(t, "t-blocked", "status"), "open");
	/* The Go-style escape in untouched parts of dispatched lines is kept. */
	ck_assert_int_ge(tu_count(after, "\\u003cnow\\u003e"), 12);

	/* Slots held: in flight never above 2 on olla, 3 on oai. */
	struct json_object *so = mock_stats(po), *sa = mock_stats(pa);
	ck_assert_int_le(stat_int(so, "max_in_flight"), 2);
	ck_assert_int_le(stat_int(sa, "max_in_flight"), 3);
	ck_assert_int_ge(stat_int(so, "requests") + stat_int(sa, "requests"), 12);
	json_object_put(so);
	json_object_put(sa);
	json_object_put(t);
	free(before);
	free(after);
	env_free(&e);
}
END_TEST

/*
 * One slot, tasks of mixed priority: the host sees them strictly by priority,
 * then age (the first request may be any, as it starts before the rest exist? no:
 * all exist at start, so the order is exact).
 */
START_TEST(test_priority_order_per_host)
{
	struct env e;
	int p;
	FILE *f;
	static const int prio[] = { 3, 1, 4, 0, 2, 1, 0, 3 };

	env_init(&e);
	p = env_mock(&e, (char *const[]){ "--latency", "20", NULL });
	char *hosts = xasprintf("[host.one]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 1\n\n"
	                        "[handler.general]\nhosts = one\ndefault = yes\n",
	    p);
	write_config(&e, hosts);
	free(hosts);
	f = fopen(e.tracker, "w");
	for (int i = 0; i < 8; i++) {
		char id[16];
		snprintf(id, sizeof id, "p-%d", i);
		add_issue(f, id, "Something", "x", "open", prio[i], "", 1 + i, "");
	}
	fclose(f);
	ck_assert_int_eq(env_drain(&e, 60), 0);

	struct json_object *st = mock_stats(p);
	size_t n;
	char **order = mock_order(st, &n);
	static const char *const want[] = { "p-3", "p-6", "p-1", "p-5", "p-4", "p-0", "p-7", "p-2" };
	ck_assert_uint_eq(n, 8);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(order[i], want[i]);
	ck_assert_int_eq(stat_int(st, "max_in_flight"), 1);
	free_list(order);
	json_object_put(st);
	env_free(&e);
}
END_TEST

/*
 * Spill-over: the preferred host has 1 slot, the second 4. One task alone stays on
 * the preferred host; five at once fill it and spill the rest.
 */
START_TEST(test_spill_over_only_when_full)
{
	struct env e;
	int pa, pb;
	FILE *f;

	env_init(&e);
	pa = env_mock(&e, (char *const[]){ "--latency", "300", NULL });
	pb = env_mock(&e, (char *const[]){ "--latency", "300", NULL });
	char *hosts = xasprintf("[host.a]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 1\n\n"
	                        "[host.b]\nurl = http://127.0.0.1:%d\napi = openai\nmodel = m\nslots = 4\n\n"
	                        "[handler.general]\nhosts = a, b\ndefault = yes\n",
	    pa, pb);
	write_config(&e, hosts);
	free(hosts);
	tu_write_file(e.tracker, "");
	f = fopen(e.tracker, "w");
	add_issue(f, "s-1", "Alone", "x", "open", 1, "", 1, "");
	fclose(f);
	ck_assert_int_eq(env_drain(&e, 30), 0);
	struct json_object *sa = mock_stats(pa), *sb = mock_stats(pb);
	ck_assert_int_eq(stat_int(sa, "requests"), 1);
	ck_assert_int_eq(stat_int(sb, "requests"), 0);
	json_object_put(sa);
	json_object_put(sb);

	f = fopen(e.tracker, "a");
	for (int i = 2; i <= 6; i++) {
		char id[16];
		snprintf(id, sizeof id, "s-%d", i);
		add_issue(f, id, "Many", "x", "open", 1, "", i, "");
	}
	fclose(f);
	ck_assert_int_eq(env_drain(&e, 30), 0);
	sa = mock_stats(pa);
	sb = mock_stats(pb);
	/* a took 1 at a time; with 300 ms per task and 5 at once, b took the other 4 */
	ck_assert_int_eq(stat_int(sa, "max_in_flight"), 1);
	ck_assert_int_le(stat_int(sb, "max_in_flight"), 4);
	ck_assert_int_eq(stat_int(sa, "requests") + stat_int(sb, "requests"), 6);
	ck_assert_int_ge(stat_int(sb, "requests"), 3);
	json_object_put(sa);
	json_object_put(sb);
	env_free(&e);
}
END_TEST

/* A transient fault is retried; a permanent one blocks at once with the server's words. */
START_TEST(test_failures_written_back)
{
	struct env e;
	int p;
	FILE *f;

	env_init(&e);
	p = env_mock(&e, NULL);
	char *hosts = xasprintf("[host.h]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 2\n\n"
	                        "[handler.general]\nhosts = h\ndefault = yes\n",
	    p);
	write_config(&e, hosts);
	free(hosts);
	f = fopen(e.tracker, "w");
	add_issue(f, "f-once", "Flaky", "[mock fault=500 times=1]", "open", 1, "", 1, "");
	add_issue(f, "f-bad", "Refused", "[mock fault=400]", "open", 1, "", 2, "");
	add_issue(f, "f-always", "Down", "[mock fault=503]", "open", 1, "", 3, "");
	fclose(f);
	ck_assert_int_eq(env_drain(&e, 60), 0);
	struct json_object *t = load_tracker(e.tracker);
	ck_assert_str_eq(field(t, "f-once", "status"), "closed");
	ck_assert_str_eq(field(t, "f-bad", "status"), "blocked");
	ck_assert_ptr_nonnull(strstr(last_comment(t, "f-bad"), "refused"));
	ck_assert_str_eq(field(t, "f-always", "status"), "blocked");
	ck_assert_ptr_nonnull(strstr(last_comment(t, "f-always"), "2 attempts"));
	json_object_put(t);
	env_free(&e);
}
END_TEST


/*
 * The tracker folder does not exist when yggd starts: once it appears, yggd
 * takes the instance lock, so a second daemon with the same assignee refuses.
 */
START_TEST(test_instance_lock_taken_when_folder_appears)
{
	struct env e;
	int p;
	char *bin = tu_bin("yggd");
	char *log2;

	env_init(&e);
	p = env_mock(&e, NULL);
	rmdir(e.beads);
	char *hosts = xasprintf("[host.h]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 1\n\n"
	                        "[handler.general]\nhosts = h\ndefault = yes\n",
	    p);
	write_config(&e, hosts);
	free(hosts);
	char *argv[] = { bin, "-c", e.config, NULL };
	pid_t first = tu_spawn(argv, e.log);
	tu_sleep(0.5);
	mkdir(e.beads, 0755);
	tu_write_file(e.tracker, "{\"id\":\"l-1\",\"title\":\"x\",\"status\":\"open\",\"priority\":1}\n");
	/* the first daemon sees the folder (and the task): wait for the task to close */
	bool closed = false;
	for (int i = 0; i < 500 && !closed; i++) {
		char *t = tu_read_file(e.tracker, NULL);
		closed = t != NULL && strstr(t, "\"status\":\"closed\"") != NULL;
		free(t);
		tu_sleep(0.02);
	}
	ck_assert_msg(closed, "the task in the folder that appeared was not run");
	log2 = xasprintf("%s/second.log", e.dir);
	char *argv2[] = { bin, "-c", e.config, "--drain", NULL };
	int rc = tu_wait(tu_spawn(argv2, log2), 20);
	char *out = tu_read_file(log2, NULL);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(out != NULL && strstr(out, "another yggd") != NULL, "second daemon said: %s", out);
	kill(first, SIGTERM);
	ck_assert_int_eq(tu_wait(first, 20), 0);
	free(out);
	free(log2);
	free(bin);
	env_free(&e);
}
END_TEST

Suite *
dispatch_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc = tcase_create("e2e");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_drain_all_types);
	tcase_add_test(tc, test_priority_order_per_host);
	tcase_add_test(tc, test_spill_over_only_when_full);
	tcase_add_test(tc, test_failures_written_back);
	tcase_add_test(tc, test_instance_lock_taken_when_folder_appears);
	suite_add_tcase(s, tc);
	return s;
}
