/*
 * check_sdk.c - the plugin SDK from the outside, the way a plugin author meets it:
 * install yggd to a temporary prefix (cmake --install BUILD --prefix P), build
 * tests/sdk/hello.c with nothing but cc and `pkg-config --cflags ygg-plugin`
 * (PKG_CONFIG_PATH=P/.../pkgconfig), then drop the .so into the plugin_dir of a
 * running yggd and see its task (label ygg:hello) closed with the plugin's
 * result. Programs are run with argv, never through a shell.
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

/* The full path of a program found on PATH (caller frees), or NULL. */
static char *
which(const char *name)
{
	const char *path = getenv("PATH");
	char *found = NULL;
	char *copy = xstrdup(path != NULL && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d != NULL && found == NULL; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", *d != '\0' ? d : ".", name);
		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

static const char *
binary_dir(void)
{
	const char *b = getenv("YGG_BINARY_DIR");
	return b != NULL && *b != '\0' ? b : YGG_BINARY_DIR;
}

/* Where the install put ygg-plugin.pc: P/lib/pkgconfig, or a multiarch libdir. */
static char *
find_pc_dir(const char *prefix)
{
	static const char *const cands[] = { "lib/pkgconfig", "lib64/pkgconfig", "lib/x86_64-linux-gnu/pkgconfig",
		"lib/aarch64-linux-gnu/pkgconfig", "share/pkgconfig" };

	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
		char *dir = xasprintf("%s/%s", prefix, cands[i]);
		char *pc = xasprintf("%s/ygg-plugin.pc", dir);
		bool ok = access(pc, R_OK) == 0;
		free(pc);
		if (ok)
			return dir;
		free(dir);
	}
	return NULL;
}

/* Split pkg-config's answer into words (it prints "-I/x -I/y \n"). */
static size_t
words(char *s, char **out, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(s, " \t\n", &save); w != NULL && n < max; w = strtok_r(NULL, " \t\n", &save))
		out[n++] = w;
	return n;
}

static json_object *
tracker_issue(const char *path, const char *id)
{
	char *data = tu_read_file(path, NULL);
	json_object *found = NULL;

	for (char *line = data != NULL ? strtok(data, "\n") : NULL; line != NULL; line = strtok(NULL, "\n")) {
		json_object *o = json_tokener_parse(line), *v;
		if (o != NULL && json_object_object_get_ex(o, "id", &v) && strcmp(json_object_get_string(v), id) == 0) {
			json_object_put(found);
			found = o;
		} else {
			json_object_put(o);
		}
	}
	free(data);
	return found;
}

static const char *
str_member(json_object *o, const char *key)
{
	json_object *v;
	return o != NULL && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

START_TEST(test_out_of_tree_plugin)
{
	char *dir = tu_tmpdir();
	char *prefix = xasprintf("%s/prefix", dir), *work = xasprintf("%s/work", dir);
	char *plugin_dir = xasprintf("%s/plugins", dir), *beads = xasprintf("%s/.beads", dir);
	char *tracker = xasprintf("%s/issues.jsonl", beads), *config = xasprintf("%s/ygg.ini", dir);
	char *log = xasprintf("%s/yggd.log", dir), *built = xasprintf("%s/hello.so", work);
	char *dropped = xasprintf("%s/hello.so", plugin_dir), *src = tu_src("tests/sdk/hello.c");
	char *cmake = which("cmake"), *cc = which("cc"), *pkgconfig = which("pkg-config");
	char *out = NULL;
	int rc;

	ck_assert_msg(cmake != NULL && cc != NULL && pkgconfig != NULL, "needs cmake, cc and pkg-config on PATH");
	mkdir(work, 0755);
	mkdir(plugin_dir, 0755);
	chmod(plugin_dir, 0755);
	mkdir(beads, 0755);

	/* 1. install to a temporary prefix */
	char *install[] = { cmake, "--install", (char *)binary_dir(), "--prefix", prefix, NULL };
	rc = tu_run(install, 120, &out);
	ck_assert_msg(rc == 0, "cmake --install failed (%d):\n%s", rc, out);
	free(out);
	char *header = xasprintf("%s/include/ygg/plugin.h", prefix), *repo_header = tu_src("include/ygg/plugin.h");
	char *a = tu_read_file(header, NULL), *b = tu_read_file(repo_header, NULL);
	ck_assert_msg(a != NULL, "no %s after the install", header);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	free(header);
	free(repo_header);
	char *pcdir = find_pc_dir(prefix);
	ck_assert_msg(pcdir != NULL, "no ygg-plugin.pc under %s", prefix);

	/* 2. the flags come from pkg-config and point into the prefix */
	setenv("PKG_CONFIG_PATH", pcdir, 1);
	unsetenv("PKG_CONFIG_LIBDIR");
	char *pkg[] = { pkgconfig, "--cflags", "ygg-plugin", NULL };
	char *cflags = NULL;
	rc = tu_run(pkg, 30, &cflags);
	ck_assert_msg(rc == 0, "pkg-config --cflags ygg-plugin failed (%d): %s", rc, cflags);
	ck_assert_msg(strstr(cflags, prefix) != NULL, "pkg-config's flags do not point into %s: %s", prefix, cflags);
	char *pkgv[] = { pkgconfig, "--modversion", "ygg-plugin", NULL };
	rc = tu_run(pkgv, 30, &out);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strncmp(out, YGG_VERSION, strlen(YGG_VERSION)) == 0, "modversion %s", out);
	free(out);

	/* 3. compile the example plugin as its author would, warnings as errors */
	char *ccargv[32];
	size_t n = 0;
	ccargv[n++] = cc;
	ccargv[n++] = "-shared";
	ccargv[n++] = "-fPIC";
	ccargv[n++] = "-std=c11";
	ccargv[n++] = "-Wall";
	ccargv[n++] = "-Wextra";
	ccargv[n++] = "-Werror";
	ccargv[n++] = "-fvisibility=hidden"; /* YGG_EXPORT must still export the entry */
	n += words(cflags, ccargv + n, 16);
	ccargv[n++] = "-o";
	ccargv[n++] = built;
	ccargv[n++] = src;
	ccargv[n] = NULL;
	rc = tu_run(ccargv, 120, &out);
	ck_assert_msg(rc == 0, "cc failed (%d):\n%s", rc, out);
	free(out);
	chmod(built, 0755);

	/* 4. a running yggd whose handler.hello binds plugin hello to a mock host */
	int mport;
	pid_t mock = tu_mock_start(&mport, NULL);
	ck_assert_int_gt(mport, 0);
	tu_write_file(tracker, "{\"id\":\"sdk-1\",\"title\":\"Greet the operator\",\"description\":\"Say hello.\","
	                       "\"status\":\"open\",\"priority\":1,\"issue_type\":\"task\",\"labels\":[\"ygg:hello\"],"
	                       "\"created_at\":\"2026-01-01T10:00:00Z\",\"updated_at\":\"2026-01-01T10:00:00Z\"}\n");
	tu_write_filef(config,
	    "[yggd]\nstore = jsonl\nbeads_dir = .beads\nplugin_dir = plugins\nartifacts_dir = artifacts\n"
	    "control = off\nshutdown_grace = 2\n\n"
	    "[host.mock]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 1\n\n"
	    "[handler.hello]\nplugin = hello\nhosts = mock\n",
	    mport);
	char *yggd_bin = tu_bin("yggd");
	char *yargv[] = { yggd_bin, "-c", config, "-v", NULL };
	pid_t yggd = tu_spawn(yargv, log);
	tu_sleep(0.5);
	ck_assert_msg(kill(yggd, 0) == 0, "yggd did not stay up");
	json_object *is = tracker_issue(tracker, "sdk-1");
	ck_assert_str_eq(str_member(is, "status"), "open"); /* nothing serves "hello" yet */
	json_object_put(is);

	/* 5. the plugin arrives by rename, as a deploy would do it */
	ck_assert_int_eq(rename(built, dropped), 0);
	const char *status = NULL;
	is = NULL;
	for (int i = 0; i < 500; i++) {
		json_object_put(is);
		is = tracker_issue(tracker, "sdk-1");
		status = str_member(is, "status");
		if (status != NULL && strcmp(status, "closed") == 0)
			break;
		tu_sleep(0.02);
	}
	if (status == NULL || strcmp(status, "closed") != 0) {
		char *l = tu_read_file(log, NULL);
		fprintf(stderr, "%s\n", l != NULL ? l : "");
		free(l);
	}
	ck_assert_msg(status != NULL && strcmp(status, "closed") == 0, "sdk-1 is %s, not closed", status);
	ck_assert_msg(strstr(str_member(is, "close_reason"), "hello") != NULL, "close_reason: %s",
	    str_member(is, "close_reason"));
	json_object *comments, *last;
	ck_assert(json_object_object_get_ex(is, "comments", &comments));
	last = json_object_array_get_idx(comments, json_object_array_length(comments) - 1);
	ck_assert_msg(strstr(str_member(last, "text"), "Hello from the hello plugin (task sdk-1)") != NULL,
	    "the result comment: %s", str_member(last, "text"));
	json_object_put(is);
	char *result = xasprintf("%s/artifacts/sdk-1/result.md", dir);
	char *md = tu_read_file(result, NULL);
	ck_assert_msg(md != NULL && strstr(md, "Hello from the hello plugin") != NULL, "%s: %s", result, md);
	free(md);
	free(result);
	char *l = tu_read_file(log, NULL);
	ck_assert_msg(strstr(l, "hello plugin ready") != NULL, "the plugin's own log line is missing:\n%s", l);
	free(l);

	kill(yggd, SIGTERM);
	ck_assert_int_eq(tu_wait(yggd, 20), 0);
	tu_mock_stop(mock);
	free(yggd_bin);
	free(cflags);
	free(pcdir);
	tu_rmtree(dir);
	free(dir);
	free(prefix);
	free(work);
	free(plugin_dir);
	free(beads);
	free(tracker);
	free(config);
	free(log);
	free(built);
	free(dropped);
	free(src);
	free(cmake);
	free(cc);
	free(pkgconfig);
}
END_TEST

Suite *
sdk_suite(void)
{
	Suite *s = suite_create("sdk");
	TCase *tc = tcase_create("sdk");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_out_of_tree_plugin);
	suite_add_tcase(s, tc);
	return s;
}
