/*
 * check_yggctl.c - the yggctl program as an operator runs it: `ready` on the
 * fixture trackers in tests/trackers (output, orders, routing, exit codes, and
 * that it writes nothing), and `create` followed by `ready`.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "testutil.h"
#include "ygg.h"

#define NOW "2026-01-10T00:00:00Z"

/* Run a program; its exit status, with stdout and stderr apart (caller frees both). */
static int
run(char *const argv[], char **out, char **err)
{
	char *dir = tu_tmpdir(), *opath = path_join(dir, "out"), *epath = path_join(dir, "err");
	pid_t pid = fork();
	int rc;

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int o = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0600), e = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o == -1 || e == -1 || dup2(o, 1) == -1 || dup2(e, 2) == -1)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	rc = tu_wait(pid, 60);
	*out = tu_read_file(opath, NULL);
	*err = tu_read_file(epath, NULL);
	ck_assert(*out != NULL && *err != NULL);
	tu_rmtree(dir);
	free(dir);
	free(opath);
	free(epath);
	return rc;
}

/* argv from a list ending in NULL, with "@MIXED@", "@CFG@", "@PREFIXED@" and "@T@" (a folder) filled in. */
static char **
args(const char *tmp, ...)
{
	static char *mixed, *cfg, *prefixed;
	char **v = xcalloc(32, sizeof *v);
	va_list ap;
	size_t n = 0;
	const char *a;

	if (mixed == NULL) {
		mixed = tu_src("tests/trackers/mixed");
		cfg = tu_src("tests/trackers/ygg.ini");
		prefixed = tu_src("tests/trackers/prefixed");
	}
	v[n++] = tu_bin("yggctl");
	va_start(ap, tmp);
	while ((a = va_arg(ap, const char *)) != NULL && n < 31) {
		if (strcmp(a, "@MIXED@") == 0)
			v[n++] = xstrdup(mixed);
		else if (strcmp(a, "@CFG@") == 0)
			v[n++] = xstrdup(cfg);
		else if (strcmp(a, "@PREFIXED@") == 0)
			v[n++] = xstrdup(prefixed);
		else if (strncmp(a, "@T@", 3) == 0)
			v[n++] = xasprintf("%s%s", tmp, a + 3);
		else
			v[n++] = xstrdup(a);
	}
	va_end(ap);
	return v;
}

static void
args_free(char **v)
{
	free_list(v);
}

/* ------------------------------------------------------------ ready */

START_TEST(test_ready_json_exact)
{
	char **v = args(NULL, "ready", "--beads-dir", "@MIXED@", "--json", "--now", NOW, NULL);
	char *out, *err;

	ck_assert_int_eq(run(v, &out, &err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(out,
	    "[\n"
	    "{\"id\":\"mx-2\",\"priority\":0,\"created_at\":\"2026-01-09T12:00:00.5+02:00\",\"type\":\"text-processing\",\"handler\":null,\"host\":null},\n"
	    "{\"id\":\"mx-3\",\"priority\":1,\"created_at\":\"2026-01-02T00:00:00Z\",\"type\":\"reasoning\",\"handler\":null,\"host\":null},\n"
	    "{\"id\":\"mx-1\",\"priority\":1,\"created_at\":\"2026-01-05T10:00:00Z\",\"type\":\"code-generation\",\"handler\":null,\"host\":null},\n"
	    "{\"id\":\"mx-11\",\"priority\":2,\"created_at\":\"2026-01-06T00:00:00Z\",\"type\":null,\"handler\":null,\"host\":null},\n"
	    "{\"id\":\"mx-7\",\"priority\":2,\"created_at\":\"2026-01-08T23:00:00-05:00\",\"type\":null,\"handler\":null,\"host\":null},\n"
	    "{\"id\":\"mx-8\",\"priority\":3,\"created_at\":\"2026-01-03T00:00:00Z\",\"type\":null,\"handler\":null,\"host\":null}\n"
	    "]\n");
	free(out);
	free(err);
	args_free(v);
}
END_TEST

/* Each row: "id type handler host" ("-" for null). */
static const struct {
	const char *a[8];
	const char *rows;
} order_cases[] = {
	{ { "ready", "--beads-dir", "@MIXED@", "--json", "--now", NOW, "--sort", "oldest" },
	    "mx-3 reasoning - -|mx-8 - - -|mx-1 code-generation - -|mx-11 - - -|mx-7 - - -|mx-2 text-processing - -" },
	{ { "ready", "--beads-dir", "@MIXED@", "--json", "--now", NOW, "--sort", "hybrid" },
	    "mx-2 text-processing - -|mx-7 - - -|mx-3 reasoning - -|mx-8 - - -|mx-1 code-generation - -|mx-11 - - -" },
	/* the config routes, and its beads_dir (relative to the file) is the tracker */
	{ { "-c", "@CFG@", "ready", "--json", "--now", NOW },
	    "mx-2 text-processing text-processing fenrir|mx-3 reasoning general fenrir|"
	    "mx-1 code-generation code-generation skadi|mx-11 summarize summarize fenrir|"
	    "mx-7 code-generation code-generation skadi|mx-8 general general fenrir" },
	{ { "ready", "-c", "@CFG@", "--json", "--now", NOW },
	    "mx-2 text-processing text-processing fenrir|mx-3 reasoning general fenrir|"
	    "mx-1 code-generation code-generation skadi|mx-11 summarize summarize fenrir|"
	    "mx-7 code-generation code-generation skadi|mx-8 general general fenrir" },
	{ { "-c", "@CFG@", "ready", "--json", "--now", NOW, "--sort", "oldest" },
	    "mx-3 reasoning general fenrir|mx-8 general general fenrir|mx-1 code-generation code-generation skadi|"
	    "mx-11 summarize summarize fenrir|mx-7 code-generation code-generation skadi|"
	    "mx-2 text-processing text-processing fenrir" },
	/* later: the deferred issue is due, and everything is old for hybrid */
	{ { "ready", "--beads-dir", "@MIXED@", "--json", "--now", "2026-03-01T00:00:00Z", "--sort", "hybrid" },
	    "mx-5 - - -|mx-3 reasoning - -|mx-8 - - -|mx-1 code-generation - -|mx-11 - - -|mx-7 - - -|mx-2 text-processing - -" },
};

START_TEST(test_ready_orders)
{
	const char *const *a = order_cases[_i].a;
	char **v = args(NULL, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], NULL);
	char *out, *err;
	struct json_object *arr;
	struct buf got;

	ck_assert_int_eq(run(v, &out, &err), 0);
	ck_assert_str_eq(err, "");
	arr = json_tokener_parse(out);
	ck_assert_msg(arr != NULL && json_object_is_type(arr, json_type_array), "not a JSON array: %s", out);
	buf_init(&got);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *f;
		const char *keys[] = { "id", "type", "handler", "host" };
		ck_assert_int_eq(json_object_object_length(o), 6);
		ck_assert(json_object_object_get_ex(o, "priority", &f) && json_object_is_type(f, json_type_int));
		ck_assert(json_object_object_get_ex(o, "created_at", &f) && json_object_is_type(f, json_type_string));
		if (i > 0)
			buf_addc(&got, '|');
		for (int k = 0; k < 4; k++) {
			ck_assert(json_object_object_get_ex(o, keys[k], &f));
			buf_printf(&got, "%s%s", k ? " " : "", f == NULL ? "-" : json_object_get_string(f));
		}
	}
	ck_assert_msg(strcmp(got.p ? got.p : "", order_cases[_i].rows) == 0, "case %d:\n got %s\nwant %s", _i, got.p,
	    order_cases[_i].rows);
	json_object_put(arr);
	buf_free(&got);
	free(out);
	free(err);
	args_free(v);
}
END_TEST

START_TEST(test_ready_text)
{
	char **v = args(NULL, "-c", "@CFG@", "ready", "--now", NOW, NULL);
	char *out, *err;

	ck_assert_int_eq(run(v, &out, &err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(out,
	    "ID     PRI  CREATED                      TYPE             HANDLER          HOST\n"
	    "mx-2     0  2026-01-09T12:00:00.5+02:00  text-processing  text-processing  fenrir\n"
	    "mx-3     1  2026-01-02T00:00:00Z         reasoning        general          fenrir\n"
	    "mx-1     1  2026-01-05T10:00:00Z         code-generation  code-generation  skadi\n"
	    "mx-11    2  2026-01-06T00:00:00Z         summarize        summarize        fenrir\n"
	    "mx-7     2  2026-01-08T23:00:00-05:00    code-generation  code-generation  skadi\n"
	    "mx-8     3  2026-01-03T00:00:00Z         general          general          fenrir\n");
	free(out);
	free(err);
	args_free(v);
}
END_TEST

static const struct {
	const char *a[6];
	int rc;
	const char *err; /* a piece of stderr */
} error_cases[] = {
	{ { "ready", "--beads-dir", "@MIXED@", "--sort", "bogus" }, 2, "yggctl: ready: --sort bogus: expected priority, oldest or hybrid" },
	{ { "ready", "--beads-dir", "@MIXED@", "--now", "yesterday" }, 2, "--now yesterday: not an RFC 3339 time" },
	{ { "ready", "--frobnicate" }, 2, "usage: yggctl [-c FILE] ready" },
	{ { "ready", "--beads-dir", "@MIXED@", "extra" }, 2, "unexpected argument 'extra'" },
	{ { "ready", "--beads-dir", "/nonexistent-ygg-dir" }, 1, "yggctl: cannot read /nonexistent-ygg-dir/issues.jsonl: No such file" },
	{ { "-c", "@T@/bad.ini", "ready" }, 2, "bad.ini:3: bogus: unknown key in [yggd]" },
	{ { "-c", "@T@/missing.ini", "ready" }, 2, "missing.ini" },
	{ { "frob" }, 2, "yggctl: unknown command 'frob'" },
	{ { NULL }, 2, "usage: yggctl [-c FILE] COMMAND" },
	{ { "create" }, 2, "how many issues?" },
	{ { "create", "0", "--beads-dir", "@T@/x" }, 2, "0: expected a count from 1 to 1000000" },
	{ { "create", "12x", "--beads-dir", "@T@/x" }, 2, "12x: expected a count" },
	{ { "create", "3", "--latency-scale", "-1", "--beads-dir", "@T@/x" }, 2, "--latency-scale -1" },
	{ { "create", "3", "--seed", "-4", "--beads-dir", "@T@/x" }, 2, "--seed -4" },
	{ { "create", "3", "4", "--beads-dir", "@T@/x" }, 2, "one count only" },
};

START_TEST(test_errors)
{
	const char *const *a = error_cases[_i].a;
	char *tmp = tu_tmpdir(), *bad = path_join(tmp, "bad.ini"), *x = path_join(tmp, "x");
	char **v = args(tmp, a[0], a[1], a[2], a[3], a[4], a[5], NULL);
	char *out, *err;
	struct stat st;

	tu_write_file(bad, "; a config with a mistake on line 3\n[yggd]\nbogus = 1\n");
	ck_assert_int_eq(run(v, &out, &err), error_cases[_i].rc);
	ck_assert_msg(strstr(err, error_cases[_i].err) != NULL, "case %d: stderr %s", _i, err);
	/* a refused create writes nothing */
	ck_assert_int_eq(stat(x, &st), -1);
	free(out);
	free(err);
	args_free(v);
	tu_rmtree(tmp);
	free(tmp);
	free(bad);
	free(x);
}
END_TEST

START_TEST(test_help)
{
	char **v = args(NULL, "--help", NULL), **r = args(NULL, "ready", "--help", NULL);
	char *out, *err;

	ck_assert_int_eq(run(v, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "  ready    "));
	ck_assert_ptr_nonnull(strstr(out, "  create   "));
	ck_assert_ptr_nonnull(strstr(out, "  status   "));
	free(out);
	free(err);
	ck_assert_int_eq(run(r, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "usage: yggctl [-c FILE] ready [--beads-dir DIR]"));
	free(out);
	free(err);
	args_free(v);
	args_free(r);
}
END_TEST

/* ready reads: the file, its time and the folder stay as they were (no lock taken). */
START_TEST(test_ready_writes_nothing)
{
	char *tmp = tu_tmpdir(), *src = tu_src("tests/trackers/mixed/issues.jsonl"), *dst = path_join(tmp, "issues.jsonl");
	char *data = tu_read_file(src, NULL), *after, *out, *err;
	char **v = args(tmp, "ready", "--beads-dir", "@T@", "--now", NOW, NULL);
	struct stat before, st;
	int entries = 0;

	tu_write_file(dst, data);
	ck_assert_int_eq(stat(dst, &before), 0);
	ck_assert_int_eq(run(v, &out, &err), 0);
	after = tu_read_file(dst, NULL);
	ck_assert_str_eq(after, data);
	ck_assert_int_eq(stat(dst, &st), 0);
	ck_assert(st.st_mtim.tv_sec == before.st_mtim.tv_sec && st.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
	ck_assert(st.st_ino == before.st_ino);
	char *lock = path_join(tmp, ".jsonl.lock");
	ck_assert_int_eq(stat(lock, &st), -1);
	free(lock);
	/* the folder holds the one file it held */
	DIR *d = opendir(tmp);
	struct dirent *de;
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			entries++;
	closedir(d);
	ck_assert_int_eq(entries, 1);
	free(after);
	free(out);
	free(err);
	free(data);
	args_free(v);
	tu_rmtree(tmp);
	free(tmp);
	free(src);
	free(dst);
}
END_TEST

START_TEST(test_ready_bad_line)
{
	char *tmp = tu_tmpdir(), *dst = path_join(tmp, "issues.jsonl"), *out, *err;
	char **v = args(tmp, "ready", "--beads-dir", "@T@", "--json", "--now", NOW, NULL);

	tu_write_file(dst, "{\"id\":\"ok-1\",\"created_at\":\"2026-01-01T00:00:00Z\"}\n{\"id\":\"cut\n");
	ck_assert_int_eq(run(v, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(err, "issues.jsonl:2: not a JSON object, kept as it is: unterminated string"));
	ck_assert_str_eq(out, "[\n{\"id\":\"ok-1\",\"priority\":2,\"created_at\":\"2026-01-01T00:00:00Z\",\"type\":null,"
			      "\"handler\":null,\"host\":null}\n]\n");
	free(out);
	free(err);
	/* an empty tracker is an empty list */
	tu_write_file(dst, "");
	ck_assert_int_eq(run(v, &out, &err), 0);
	ck_assert_str_eq(out, "[]\n");
	free(out);
	free(err);
	args_free(v);
	tu_rmtree(tmp);
	free(tmp);
	free(dst);
}
END_TEST

/* ------------------------------------------------------------ create */

static const char *const field_order[] = {
	"id", "title", "description", "status", "priority", "issue_type", "labels", "created_at", "updated_at",
};
static const char *const rotation[] = { "code-generation", "text-processing", "reasoning" };
static const int latency_ms[] = { 60, 40, 80 }; /* 30, 20, 40 units at 2 ms */

/* Titles and priorities of a created file, as one string. */
static char *
workload_of(const char *path, size_t expect)
{
	size_t len;
	char *data = tu_read_file(path, &len);
	struct tracker *t = tracker_new();
	const struct issue **all;
	struct buf b;

	ck_assert_ptr_nonnull(data);
	tracker_load(t, data, len, path);
	ck_assert_uint_eq(tracker_issues(t, &all), expect);
	buf_init(&b);
	for (size_t i = 0; i < expect; i++)
		buf_printf(&b, "%d %s|", all[i]->priority, all[i]->title);
	tracker_free(t);
	free(data);
	return buf_steal(&b);
}

START_TEST(test_create_then_ready)
{
	char *tmp = tu_tmpdir(), *file = xasprintf("%s/tracker/issues.jsonl", tmp), *out, *err, *data;
	char **v = args(tmp, "create", "9", "--seed", "7", "--latency-scale", "2", "--beads-dir", "@T@/tracker", NULL);
	char **same = args(tmp, "create", "9", "--beads-dir", "@T@/again", "--seed", "7", NULL);
	char **other = args(tmp, "create", "9", "--beads-dir", "@T@/other", "--seed", "8", NULL);
	char **ready = args(tmp, "ready", "--beads-dir", "@T@/tracker", "--json", NULL);
	struct json_line jl = { 0 };
	int64_t prev = 0;
	bool pri_seen[4] = { false };
	int distinct = 0;
	size_t len;

	ck_assert_int_eq(run(v, &out, &err), 0);
	ck_assert_str_eq(err, "");
	char *want = xasprintf("yggctl: created 9 issues in %s: ygg-1 .. ygg-9\n", file);
	ck_assert_str_eq(out, want);
	free(want);
	free(out);
	free(err);

	data = tu_read_file(file, &len);
	ck_assert_ptr_nonnull(data);
	const char **starts = NULL;
	size_t n = 0;
	for (char *p = data; p < data + len; n++) {
		char *nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl); /* every line ends with a newline */
		starts = xrealloc(starts, (n + 1) * sizeof *starts);
		starts[n] = p;
		ck_assert_int_eq(json_line_scan(&jl, p, (size_t)(nl - p)), 0);
		/* bd's field order */
		ck_assert_uint_eq(jl.n, 9);
		for (size_t k = 0; k < 9; k++)
			ck_assert(json_key_eq(jl.m[k].key, jl.m[k].key_len, field_order[k]));
		struct issue *is;
		ck_assert_int_eq(issue_from_line(&jl, &is), 0);
		char id[16], label[64], mock[64];
		snprintf(id, sizeof id, "ygg-%zu", n + 1);
		snprintf(label, sizeof label, "ygg:%s", rotation[n % 3]);
		snprintf(mock, sizeof mock, "\n\n[mock latency=%dms]", latency_ms[n % 3]);
		ck_assert_str_eq(is->id, id);
		ck_assert_str_eq(is->status, "open");
		ck_assert_str_eq(is->issue_type, "task");
		ck_assert_uint_eq(is->nlabels, 1);
		ck_assert_str_eq(is->labels[0], label);
		ck_assert_ptr_nonnull(strstr(is->description, mock));
		ck_assert_str_eq(is->created_at, is->updated_at);
		ck_assert_uint_eq(strlen(is->created_at), strlen("2026-01-02T03:04:05.123456Z"));
		/* one microsecond apart, in file order */
		if (n > 0)
			ck_assert_int_eq(is->created_ns - prev, 1000);
		prev = is->created_ns;
		ck_assert(is->priority >= 0 && is->priority <= 3);
		if (!pri_seen[is->priority])
			distinct++;
		pri_seen[is->priority] = true;
		issue_free(is);
		p = nl + 1;
	}
	ck_assert_uint_eq(n, 9);
	ck_assert_int_ge(distinct, 2);
	json_line_free(&jl);
	free(starts);

	/* the same seed makes the same workload; another seed another one */
	ck_assert_int_eq(run(same, &out, &err), 0);
	free(out);
	free(err);
	ck_assert_int_eq(run(other, &out, &err), 0);
	free(out);
	free(err);
	char *again = xasprintf("%s/again/issues.jsonl", tmp), *oth = xasprintf("%s/other/issues.jsonl", tmp);
	char *w1 = workload_of(file, 9), *w2 = workload_of(again, 9), *w3 = workload_of(oth, 9);
	ck_assert_str_eq(w1, w2);
	ck_assert_str_ne(w1, w3);
	char *plain = tu_read_file(again, NULL);
	ck_assert_ptr_null(strstr(plain, "[mock")); /* no --latency-scale, no directive */
	free(plain);

	/* and ready lists all nine, by priority then age */
	ck_assert_int_eq(run(ready, &out, &err), 0);
	struct json_object *arr = json_tokener_parse(out);
	ck_assert_ptr_nonnull(arr);
	ck_assert_uint_eq(json_object_array_length(arr), 9);
	int last_pri = -1;
	for (size_t i = 0; i < 9; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		int pri = json_object_get_int(json_object_object_get(o, "priority"));
		const char *id = json_object_get_string(json_object_object_get(o, "id"));
		ck_assert_int_ge(pri, last_pri);
		last_pri = pri;
		ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "type")), rotation[(atoi(id + 4) - 1) % 3]);
	}
	json_object_put(arr);
	free(out);
	free(err);

	free(w1);
	free(w2);
	free(w3);
	free(again);
	free(oth);
	free(data);
	free(file);
	args_free(v);
	args_free(same);
	args_free(other);
	args_free(ready);
	tu_rmtree(tmp);
	free(tmp);
}
END_TEST

/* New ids continue the file's prefix after its highest number; old bytes stay. */
START_TEST(test_create_continues_ids)
{
	char *tmp = tu_tmpdir(), *src = tu_src("tests/trackers/prefixed/issues.jsonl"), *dst = path_join(tmp, "issues.jsonl");
	char *old, *now, *out, *err;
	char **v = args(tmp, "create", "2", "--beads-dir", "@T@", "--seed", "1", NULL);
	size_t olen, nlen;

	old = tu_read_file(src, &olen);
	ck_assert(olen > 0 && old[olen - 1] != '\n'); /* the fixture ends without a newline */
	tu_write_file(dst, old);
	ck_assert_int_eq(run(v, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, ": bd-13 .. bd-14\n"));
	now = tu_read_file(dst, &nlen);
	ck_assert(nlen > olen + 1 && memcmp(now, old, olen) == 0 && now[olen] == '\n');
	ck_assert_ptr_nonnull(strstr(now + olen, "\n{\"id\":\"bd-13\",\"title\":"));
	ck_assert_ptr_nonnull(strstr(now + olen, "\n{\"id\":\"bd-14\",\"title\":"));
	ck_assert(now[nlen - 1] == '\n');
	free(old);
	free(now);
	free(out);
	free(err);
	args_free(v);
	tu_rmtree(tmp);
	free(tmp);
	free(src);
	free(dst);
}
END_TEST

/* With -c, create writes to the configuration's beads_dir (relative to the file). */
START_TEST(test_create_with_config)
{
	char *tmp = tu_tmpdir(), *cfg = path_join(tmp, "ygg.ini"), *file = xasprintf("%s/tracker/issues.jsonl", tmp);
	char **v = args(tmp, "-c", "@T@/ygg.ini", "create", "3", NULL);
	char **r = args(tmp, "-c", "@T@/ygg.ini", "ready", "--json", NULL);
	char *out, *err, *data;
	struct stat st;

	tu_write_file(cfg, "[yggd]\nbeads_dir = tracker\ncontrol = off\n"
			   "[host.h]\nurl = http://127.0.0.1:9\napi = ollama\nmodel = m\nslots = 1\n"
			   "[handler.general]\nhosts = h\ndefault = yes\n");
	ck_assert_int_eq(run(v, &out, &err), 0);
	ck_assert_msg(stat(file, &st) == 0, "%s%s", out, err);
	free(out);
	free(err);
	data = tu_read_file(file, NULL);
	ck_assert_int_eq(tu_count(data, "\n"), 3);
	free(data);
	ck_assert_int_eq(run(r, &out, &err), 0);
	/* their types have no handler here: the default one takes them, on its host */
	ck_assert_int_eq(tu_count(out, "\"type\":\"general\",\"handler\":\"general\",\"host\":\"h\""), 3);
	ck_assert_int_eq(tu_count(out, "\"id\":\"ygg-"), 3);
	free(out);
	free(err);
	args_free(v);
	args_free(r);
	tu_rmtree(tmp);
	free(tmp);
	free(cfg);
	free(file);
}
END_TEST

Suite *
yggctl_suite(void)
{
	Suite *s = suite_create("yggctl");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ready_json_exact);
	tcase_add_loop_test(tc, test_ready_orders, 0, sizeof order_cases / sizeof order_cases[0]);
	tcase_add_test(tc, test_ready_text);
	tcase_add_loop_test(tc, test_errors, 0, sizeof error_cases / sizeof error_cases[0]);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_ready_writes_nothing);
	tcase_add_test(tc, test_ready_bad_line);
	tcase_add_test(tc, test_create_then_ready);
	tcase_add_test(tc, test_create_continues_ids);
	tcase_add_test(tc, test_create_with_config);
	suite_add_tcase(s, tc);
	return s;
}
