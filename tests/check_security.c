/*
 * check_security.c - what must never get in or out: artifact names from an LLM
 * reply that try to leave artifacts_dir/<id>/ ("..", absolute paths, NUL bytes,
 * backslashes, over-long components, symlinks planted in the folder), API keys
 * (sent to the host, never in a log line, the tracker or a file; a key file
 * others can read is refused), the control socket's mode and the default
 * address, plugin files others can write, and no shell in the sources.
 */
#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

/* ---- what is on disk: every path under a root, not following symlinks */

struct tree {
	char **paths; /* "f path size", "l path -> target", "d path" relative to the root */
	size_t n;
};

static struct tree *walking;
static size_t walk_root_len;

static int
walk_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = path + walk_root_len;
	char *line;

	(void)ftw;
	if (flag == FTW_SL) {
		char target[4096];
		ssize_t n = readlink(path, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		line = xasprintf("l %s -> %s", rel, target);
	} else if (flag == FTW_D || flag == FTW_DP) {
		line = xasprintf("d %s", rel);
	} else {
		line = xasprintf("f %s %lld", rel, (long long)st->st_size);
	}
	walking->paths = xrealloc(walking->paths, (walking->n + 1) * sizeof *walking->paths);
	walking->paths[walking->n++] = line;
	return 0;
}

static struct tree
tree_scan(const char *root)
{
	struct tree t = { NULL, 0 };

	walking = &t;
	walk_root_len = strlen(root);
	nftw(root, walk_entry, 32, FTW_PHYS);
	walking = NULL;
	return t;
}

static bool
tree_has(const struct tree *t, const char *line)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->paths[i], line) == 0)
			return true;
	return false;
}

static void
tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->paths[i]);
	free(t->paths);
}

/* Paths in after that were not in before and are not below one of the allowed prefixes. */
static char *
tree_new_outside(const struct tree *before, const struct tree *after, const char *const *allowed)
{
	for (size_t i = 0; i < after->n; i++) {
		const char *p = after->paths[i];
		if (tree_has(before, p))
			continue;
		bool ok = false;
		for (size_t k = 0; allowed[k] != NULL && !ok; k++)
			ok = strncmp(p + 2, allowed[k], strlen(allowed[k])) == 0;
		if (!ok)
			return xstrdup(p);
	}
	return NULL;
}

/* A reply in the artifact plugin's format: a ```txt file=NAME block per file. */
static void
add_block(struct buf *b, const char *name, size_t name_len, const char *body)
{
	buf_adds(b, "```txt file=");
	buf_add(b, name, name_len);
	buf_adds(b, "\n");
	buf_adds(b, body);
	buf_adds(b, "\n```\n\n");
}

static char *
reply_directive(const struct buf *reply)
{
	char *b64 = tu_base64(reply->p, reply->len);
	char *d = xasprintf("[mock reply=%s]", b64);

	free(b64);
	return d;
}

/*
 * Artifact names that try to get out, as an LLM might write them, plus folders
 * and files in artifacts/<id>/ replaced by symlinks pointing outside. Nothing
 * new appears anywhere in the temporary tree except below artifacts/<id>/ (for
 * the dispatched ids) and the tracker's folder; the link targets are untouched;
 * the good files are written.
 */
START_TEST(test_artifact_names_stay_inside)
{
	struct tu_env e;
	struct buf names, dirlink, filelink;
	FILE *f;

	tu_env_init(&e);
	int im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", NULL });
	ck_assert(im >= 0);
	char *sections = xasprintf("[host.h]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 4\n\n"
	                           "[handler.artifact]\nhosts = h\n\n[handler.general]\nhosts = h\ndefault = yes\n",
	    e.port[im]);
	tu_env_config(&e, NULL, sections);
	free(sections);

	/* the outside world the replies aim at */
	char *outside = path_join(e.dir, "outside");
	mkdir(outside, 0755);
	char *target = path_join(e.dir, "target.txt");
	tu_write_file(target, "precious\n");
	char *abs_name = xasprintf("%s/abs-escape.txt", outside);

	/* one reply with every bad name and one good file */
	buf_init(&names);
	static const char *const bad[] = { "../x.txt", "a/../../x.txt", "a/b/../../../x.txt", "/etc/yggd-test-escape",
		"..", ".", "./../x.txt", "..\\..\\x.txt", "a//b.txt" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		add_block(&names, bad[i], strlen(bad[i]), "escaped");
	add_block(&names, abs_name, strlen(abs_name), "escaped");
	char *longc = xmalloc(301);
	memset(longc, 'L', 300);
	longc[300] = '\0';
	add_block(&names, longc, 300, "too long");
	free(longc);
	/* a NUL byte in the reply: refused, and the blocks after it are still read */
	add_block(&names, "nul\0/../../../nul-escape.txt", 28, "escaped");
	add_block(&names, "good/ok.txt", 11, "fine");
	add_block(&names, "..%2f..%2fpct.txt", 17, "a strange but harmless name");
	char *d_names = reply_directive(&names);

	/* a folder of the reply's paths is a planted symlink to the outside */
	buf_init(&dirlink);
	add_block(&dirlink, "sub/pwned.txt", 13, "escaped");
	char *d_dirlink = reply_directive(&dirlink);
	char *art = path_join(e.artifacts, "s-dirlink");
	mkdir(e.artifacts, 0755);
	mkdir(art, 0755);
	char *link = path_join(art, "sub");
	ck_assert_int_eq(symlink(outside, link), 0);
	free(link);
	free(art);

	/* files of the reply (and result.md) are planted symlinks to a file outside */
	buf_init(&filelink);
	add_block(&filelink, "same.txt", 8, "replaced the link, not the target");
	char *d_filelink = reply_directive(&filelink);
	art = path_join(e.artifacts, "s-filelink");
	mkdir(art, 0755);
	link = path_join(art, "same.txt");
	ck_assert_int_eq(symlink(target, link), 0);
	free(link);
	link = path_join(art, "result.md");
	ck_assert_int_eq(symlink(target, link), 0);
	free(link);
	free(art);

	/* the task's own folder is a symlink to the outside */
	art = path_join(e.artifacts, "s-rootlink");
	ck_assert_int_eq(symlink(outside, art), 0);
	free(art);

	f = fopen(e.tracker, "w");
	tu_issue(f, "s-names", "Write files", d_names, "open", 1, "\"ygg:artifact\"", "");
	tu_issue(f, "s-dirlink", "Write files", d_dirlink, "open", 1, "\"ygg:artifact\"", "");
	tu_issue(f, "s-filelink", "Write files", d_filelink, "open", 1, "\"ygg:artifact\"", "");
	tu_issue(f, "s-rootlink", "Write files", "plain", "open", 1, "", "");
	/* an id that is itself a path: its folder name is made safe */
	tu_issue(f, "../../id-escape", "Write", "plain", "open", 1, "", "");
	fclose(f);

	struct tree before = tree_scan(e.dir);
	ck_assert_int_eq(tu_env_drain(&e, 60), 0);
	struct tree after = tree_scan(e.dir);

	static const char *const allowed[] = { "/.beads/", "/artifacts/s-names", "/artifacts/s-filelink/",
		"/artifacts/s-dirlink/", "/artifacts/_.._.._id-escape", "/yggd.log", "/mock.log", NULL };
	char *escaped = tree_new_outside(&before, &after, allowed);
	ck_assert_msg(escaped == NULL, "written outside the task folders: %s", escaped);
	ck_assert_int_eq(access("/etc/yggd-test-escape", F_OK), -1);
	/* nothing went through the links */
	struct tree out = tree_scan(outside);
	ck_assert_msg(out.n == 1, "the outside folder got %zu entries", out.n - 1);
	tree_free(&out);
	char *t = tu_read_file(target, NULL);
	ck_assert_str_eq(t, "precious\n");
	free(t);
	/* the good files are there, as regular files */
	ck_assert(tree_has(&after, "f /artifacts/s-names/good/ok.txt 5"));
	ck_assert(tree_has(&after, "f /artifacts/s-names/..%2f..%2fpct.txt 28"));
	ck_assert(tree_has(&after, "f /artifacts/s-filelink/same.txt 34"));
	for (size_t i = 0; i < after.n; i++) {
		if (strncmp(after.paths[i], "l /artifacts/s-filelink/", 24) == 0)
			ck_abort_msg("a planted link is still there: %s", after.paths[i]);
	}

	struct json_object *tr = tu_tracker_load(e.tracker);
	ck_assert_str_eq(tu_issue_field(tr, "s-names", "status"), "closed");
	const char *c = tu_issue_comment(tr, "s-names", -1);
	ck_assert_ptr_nonnull(strstr(c, "Refused:"));
	/* the nine above, the absolute one, the long one, and the one with a NUL byte (the reply's
	 * text is taken whole, NUL bytes and all, so blocks after one are seen too) */
	ck_assert_int_eq(tu_count(c, "not written"), 12);
	ck_assert_ptr_nonnull(strstr(c, "path component longer than 255 bytes"));
	ck_assert_str_eq(tu_issue_field(tr, "s-filelink", "status"), "closed");
	/* a planted folder link fails the task, saying why */
	ck_assert_str_eq(tu_issue_field(tr, "s-dirlink", "status"), "blocked");
	ck_assert_ptr_nonnull(strstr(tu_issue_comment(tr, "s-dirlink", -1), "could not be saved"));
	ck_assert_str_eq(tu_issue_field(tr, "s-rootlink", "status"), "blocked");
	ck_assert_ptr_nonnull(strstr(tu_issue_comment(tr, "s-rootlink", -1), "could not be saved"));
	ck_assert_str_eq(tu_issue_field(tr, "../../id-escape", "status"), "closed");
	json_object_put(tr);

	tree_free(&before);
	tree_free(&after);
	buf_free(&names);
	buf_free(&dirlink);
	buf_free(&filelink);
	free(d_names);
	free(d_dirlink);
	free(d_filelink);
	free(abs_name);
	free(target);
	free(outside);
	tu_env_free(&e);
}
END_TEST

static bool
file_has(const char *path, const char *needle)
{
	size_t len;
	char *s = tu_read_file(path, &len);
	bool has = s != NULL && memmem(s, len, needle, strlen(needle)) != NULL;

	free(s);
	return has;
}

/* No file under root holds needle. NULL, or the first path that does (caller frees). */
static char *leak_needle, *leak_found;

static int
leak_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (flag == FTW_F && leak_found == NULL && strstr(path, "/key") == NULL && file_has(path, leak_needle))
		leak_found = xstrdup(path);
	return 0;
}

static char *
find_leak(const char *root, const char *needle)
{
	leak_needle = (char *)needle;
	leak_found = NULL;
	nftw(root, leak_entry, 32, FTW_PHYS);
	return leak_found;
}

/*
 * API keys: from api_key_env and from a 0600 api_key_file the mock receives
 * "Authorization: Bearer KEY" (it answers 401 otherwise); with -v debug logging
 * the key is in no log line, not in the tracker, not in any file yggd wrote. A
 * key file others can read is refused with a clear line, and the host's task is
 * blocked as unauthorized rather than sent with a leaked key.
 */
START_TEST(test_api_keys)
{
	struct tu_env e;
	static const char key[] = "sk-test-Zq8vN2kW-never-log-me";
	FILE *f;

	tu_env_init(&e);
	int io = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", "--api-key", (char *)key, NULL });
	ck_assert(io >= 0);
	char *good = path_join(e.dir, "key-good");
	char *open_file = path_join(e.dir, "key-open");
	tu_write_filef(good, "%s\n", key);
	chmod(good, 0600);
	tu_write_filef(open_file, "%s\n", key);
	chmod(open_file, 0644);
	setenv("YGG_TEST_API_KEY", key, 1);
	unsetenv("YGG_TEST_UNSET_KEY");
	char *sections = xasprintf(
	    "[host.env]\nurl = http://127.0.0.1:%d\napi = openai\nmodel = m\nslots = 2\napi_key_env = YGG_TEST_API_KEY\n\n"
	    "[host.olla]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 2\napi_key_env = YGG_TEST_API_KEY\n\n"
	    "[host.file]\nurl = http://127.0.0.1:%d\napi = openai\nmodel = m\nslots = 2\napi_key_file = %s\n\n"
	    "[host.open]\nurl = http://127.0.0.1:%d\napi = openai\nmodel = m\nslots = 2\napi_key_file = %s\n\n"
	    "[host.unset]\nurl = http://127.0.0.1:%d\napi = openai\nmodel = m\nslots = 2\napi_key_env = YGG_TEST_UNSET_KEY\n\n"
	    "[handler.general]\nhosts = env\ndefault = yes\n\n[handler.reasoning]\nhosts = olla\n\n"
	    "[handler.summarize]\nhosts = file\n\n[handler.text-processing]\nhosts = open\n\n"
	    "[handler.code-generation]\nhosts = unset\n",
	    e.port[io], e.port[io], e.port[io], good, e.port[io], open_file, e.port[io]);
	tu_env_config(&e, "max_attempts = 1\n", sections);
	free(sections);
	f = fopen(e.tracker, "w");
	tu_issue(f, "k-env", "Keyed", "x", "open", 1, "\"ygg:general\"", "");
	tu_issue(f, "k-olla", "Keyed", "x", "open", 1, "\"ygg:reasoning\"", "");
	tu_issue(f, "k-file", "Keyed", "x", "open", 1, "\"ygg:summarize\"", "");
	tu_issue(f, "k-open", "Keyed", "x", "open", 1, "\"ygg:text-processing\"", "");
	tu_issue(f, "k-unset", "Keyed", "x", "open", 1, "\"ygg:code-generation\"", "");
	fclose(f);

	ck_assert_int_eq(tu_env_drain(&e, 60), 0);

	struct json_object *t = tu_tracker_load(e.tracker), *s = tu_mock_stats(e.port[io]);
	/* the mock only answers with the right Bearer key */
	ck_assert_str_eq(tu_issue_field(t, "k-env", "status"), "closed");
	ck_assert_str_eq(tu_issue_field(t, "k-olla", "status"), "closed");
	ck_assert_str_eq(tu_issue_field(t, "k-file", "status"), "closed");
	ck_assert_int_eq(tu_mock_count(s, NULL, "ok"), 3);
	/* the open key file was refused: no key sent, the server said no, the comment says what to check */
	ck_assert_str_eq(tu_issue_field(t, "k-open", "status"), "blocked");
	ck_assert_str_eq(tu_issue_field(t, "k-unset", "status"), "blocked");
	ck_assert_int_eq(tu_mock_count(s, "k-open", "unauthorized"), 1);
	ck_assert_int_eq(tu_mock_count(s, "k-unset", "unauthorized"), 1);
	ck_assert_ptr_nonnull(strstr(tu_issue_comment(t, "k-open", -1), "HTTP 401"));
	ck_assert_ptr_nonnull(strstr(tu_issue_comment(t, "k-open", -1), "api_key_file"));
	char *log = tu_read_file(e.log, NULL);
	char *want = xasprintf("host=open api_key_file=%s has mode 0644: refusing it, chmod 600 the file", open_file);
	ck_assert_msg(strstr(log, want) != NULL, "no refusal line for the 0644 key file");
	ck_assert_ptr_nonnull(strstr(log, "host=unset api_key_env=YGG_TEST_UNSET_KEY is not set"));
	free(want);
	free(log);
	/* never written anywhere: log (debug level), tracker, artifacts, anything but the key files */
	char *leak = find_leak(e.dir, key);
	ck_assert_msg(leak == NULL, "the API key is in %s", leak);
	/* nor a recognisable part of it */
	leak = find_leak(e.dir, "Zq8vN2kW");
	ck_assert_msg(leak == NULL, "part of the API key is in %s", leak);
	json_object_put(s);
	json_object_put(t);
	free(good);
	free(open_file);
	tu_env_free(&e);
}
END_TEST

/*
 * The control API: a unix socket is created 0600 (only the daemon's user can
 * connect), and the default address is loopback.
 */
START_TEST(test_control_socket_private)
{
	struct tu_env e;
	struct stat st;
	struct ygg_config *cfg = NULL;
	char *cause = NULL;

	ck_assert_int_eq(config_parse("[yggd]\n", "default.ini", "/", &cfg, &cause), 0);
	ck_assert_msg(strncmp(cfg->control, "127.0.0.1:", 10) == 0 || strncmp(cfg->control, "unix:", 5) == 0 ||
	                  strcmp(cfg->control, "off") == 0,
	    "the default control address %s is not private", cfg->control);
	config_free(cfg);

	tu_env_init(&e);
	int im = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", NULL });
	ck_assert(im >= 0);
	char *sock = path_join(e.dir, "ctl.sock");
	char *keys = xasprintf("control = unix:%s\n", sock);
	char *sections = xasprintf("[host.h]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 1\n\n"
	                           "[handler.general]\nhosts = h\ndefault = yes\n",
	    e.port[im]);
	tu_env_config(&e, keys, sections);
	tu_write_file(e.tracker, "");
	mode_t old = umask(0); /* a careless umask must not make the socket public */
	pid_t pid = tu_env_yggd(&e, false);
	umask(old);
	ck_assert(tu_wait_text(e.log, "running", 1, 10));
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_msg((st.st_mode & 0077) == 0, "the control socket has mode %o", (unsigned)(st.st_mode & 0777));
	kill(pid, SIGTERM);
	ck_assert_int_eq(tu_env_wait(&e, pid, 10), 0);
	ck_assert_int_eq(access(sock, F_OK), -1); /* removed on exit */
	free(keys);
	free(sections);
	free(sock);
	tu_env_free(&e);
}
END_TEST

/*
 * Plugins others can write are refused, named in the log: a world-writable
 * .so next to good ones (the rest load, yggd -t says so and exits 1), and a
 * group-writable plugin_dir (yggd does not start).
 */
START_TEST(test_writable_plugins_refused)
{
	struct tu_env e;
	char *bin = tu_bin("yggd"), *out = NULL;

	tu_env_init(&e);
	char *pdir = path_join(e.dir, "plugins");
	mkdir(pdir, 0755);
	static const char *const names[] = { "general", "summarize" };
	for (size_t i = 0; i < 2; i++) {
		char *src = xasprintf("plugins/%s.so", names[i]), *srcp = tu_build(src);
		char *dst = xasprintf("%s/%s.so", pdir, names[i]);
		size_t len;
		char *data = tu_read_file(srcp, &len);
		ck_assert_ptr_nonnull(data);
		FILE *f = fopen(dst, "w");
		fwrite(data, 1, len, f);
		fclose(f);
		chmod(dst, i == 1 ? 0666 : 0644);
		free(data);
		free(src);
		free(srcp);
		free(dst);
	}
	char *keys = xasprintf("plugin_dir = %s\n", pdir);
	tu_env_config(&e, keys,
	    "[host.h]\nurl = http://127.0.0.1:9\napi = ollama\nmodel = m\nslots = 1\n\n"
	    "[handler.general]\nhosts = h\ndefault = yes\n\n[handler.summarize]\nhosts = h\n");
	char *argv[] = { bin, "-t", "-c", e.config, NULL };
	ck_assert_int_eq(tu_run(argv, 10, &out), 1);
	ck_assert_msg(strstr(out, "summarize.so") != NULL && strstr(out, "writable") != NULL, "got: %s", out);
	ck_assert_ptr_null(strstr(out, "general.so refused"));
	free(out);

	chmod(pdir, 0775);
	tu_write_file(e.tracker, "");
	char *argr[] = { bin, "-c", e.config, "--drain", NULL };
	int rc = tu_run(argr, 10, &out);
	ck_assert_msg(rc != 0, "yggd ran with a group-writable plugin_dir");
	ck_assert_msg(strstr(out, pdir) != NULL && strstr(out, "writable") != NULL, "got: %s", out);
	chmod(pdir, 0755);
	free(out);
	free(keys);
	free(pdir);
	free(bin);
	tu_env_free(&e);
}
END_TEST

/* No shell anywhere: no system(), popen() or sh -c in the daemon, the tools or the plugins. */
START_TEST(test_no_shell_in_sources)
{
	static const char *const dirs[] = { "core", "plugins" };
	static const char *const banned[] = { "system(", "popen(", "\"/bin/sh\"", "\"sh\", \"-c\"", "execl(\"/bin" };

	for (size_t d = 0; d < 2; d++) {
		char *dir = tu_src(dirs[d]);
		DIR *dp = opendir(dir);
		struct dirent *de;
		int files = 0;
		ck_assert_ptr_nonnull(dp);
		while ((de = readdir(dp)) != NULL) {
			const char *name = de->d_name;
			size_t nl = strlen(name);
			if (nl < 3 || strcmp(name + nl - 2, ".c") != 0)
				continue;
			char *path = path_join(dir, name);
			char *src = tu_read_file(path, NULL);
			ck_assert_ptr_nonnull(src);
			files++;
			for (size_t b = 0; b < sizeof banned / sizeof banned[0]; b++) {
				/* "system(" must not match e.g. "filesystem(" */
				for (const char *p = strstr(src, banned[b]); p != NULL; p = strstr(p + 1, banned[b])) {
					char before = p > src ? p[-1] : ' ';
					bool word = !((before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
					    (before >= '0' && before <= '9') || before == '_');
					ck_assert_msg(!word, "%s uses %s", path, banned[b]);
				}
			}
			free(src);
			free(path);
		}
		closedir(dp);
		ck_assert_int_gt(files, 0);
		free(dir);
	}
}
END_TEST

Suite *
security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("security");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_artifact_names_stay_inside);
	tcase_add_test(tc, test_api_keys);
	tcase_add_test(tc, test_control_socket_private);
	tcase_add_test(tc, test_writable_plugins_refused);
	tcase_add_test(tc, test_no_shell_in_sources);
	suite_add_tcase(s, tc);
	return s;
}
