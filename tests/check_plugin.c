/*
 * check_plugin.c - the plugin loader: every refusal with its message and log
 * line, the others still loading, folder and file modes, symlinks, load order,
 * rescans, replacing a version while a task holds the old one, and the
 * ygg-plugin program's output and exit codes.
 *
 * The test plugins come from tests/plugins/ (build/tests/plugins/NAME.so) and
 * are copied into temporary folders with the modes each case needs.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

static struct buf logged;
static char *root;

static void
log_capture(enum log_level level, const char *line, void *arg)
{
	(void)level, (void)arg;
	buf_adds(&logged, line);
	buf_addc(&logged, '\n');
}

static void
setup(void)
{
	buf_init(&logged);
	log_init("yggd", 0);
	log_set_level(LOG_LVL_ERROR);
	log_set_hook(log_capture, NULL);
	root = tu_tmpdir();
}

static void
teardown(void)
{
	log_set_hook(NULL, NULL);
	buf_free(&logged);
	if (root != NULL)
		chmod(root, 0700);
	tu_rmtree(root);
	free(root);
	root = NULL;
}

/* A folder under root with mode (set explicitly: the umask does not decide). */
static char *
mkfolder(const char *name, mode_t mode)
{
	char *dir = path_join(root, name);

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(chmod(dir, mode), 0);
	return dir;
}

/* Copy a built file to dir/as with mode, through a temporary name and rename (a new inode). */
static char *
install_file(const char *src, const char *dir, const char *as, mode_t mode)
{
	char *data, *dst = path_join(dir, as), *tmp = xasprintf("%s/.%s.tmp", dir, as);
	size_t len;
	FILE *f;

	ck_assert_msg(read_file(src, &data, &len) == 0, "cannot read %s (build the test plugins)", src);
	f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	ck_assert_int_eq(chmod(tmp, mode), 0);
	ck_assert_int_eq(rename(tmp, dst), 0);
	free(data);
	free(tmp);
	return dst;
}

/* build/tests/plugins/NAME.so copied to dir/as. */
static char *
put(const char *name, const char *dir, const char *as, mode_t mode)
{
	char *rel = xasprintf("tests/plugins/%s.so", name);
	char *src = tu_build(rel);
	char *dst = install_file(src, dir, as, mode);

	free(src);
	free(rel);
	return dst;
}

static size_t
count_errors(struct plugin_set *ps)
{
	struct plugin_error *e;
	size_t n = 0;

	TAILQ_FOREACH(e, &ps->errors, entry)
		n++;
	return n;
}

static struct plugin_error *
error_for(struct plugin_set *ps, const char *path)
{
	struct plugin_error *e;

	TAILQ_FOREACH(e, &ps->errors, entry)
		if (strcmp(e->path, path) == 0)
			return e;
	return NULL;
}

static size_t
count_loaded(struct plugin_set *ps)
{
	struct plugin *p;
	size_t n = 0;

	TAILQ_FOREACH(p, &ps->loaded, entry)
		n++;
	return n;
}

/* ---------------------------------------------------------------- refusals */

static const struct {
	const char *plugin; /* tests/plugins/NAME.so, or NULL for a text file */
	const char *as;
	const char *reason; /* %1$s: the folder; %2$zu: sizeof(struct ygg_plugin) */
	bool prefix;        /* reason is only the start of the message */
} refusals[] = {
	{ "bad_abi", "bad_abi.so", "built for plugin ABI 99, this yggd speaks ABI 1", false },
	{ "bad_size", "bad_size.so", "descriptor size 12 does not match %2$zu", false },
	{ "no_entry", "no_entry.so", "no ygg_plugin_entry symbol: not a yggd plugin", false },
	{ "func_entry", "func_entry.so",
	    "ygg_plugin_entry is not a data object: it must be a const struct ygg_plugin", false },
	{ "tiny_entry", "tiny_entry.so", "ygg_plugin_entry is 4 bytes: not a plugin descriptor", false },
	{ "init_fails", "init_fails.so", "init failed", false },
	{ "null_callback", "null_callback.so", "descriptor has no build_request callback", false },
	{ "null_name", "null_name.so", "descriptor has no name", false },
	{ "bad_name", "bad_name.so", "bad name \"Bad Name\": use 1-64 of a-z 0-9 _ -", false },
	{ "no_types", "no_types.so", "descriptor serves no task types", false },
	{ "bad_type", "bad_type.so", "bad task type \"Code Generation\": use 1-64 of a-z 0-9 -", false },
	{ "dup_name", "zz_dup.so", "a plugin named good is already loaded from %1$s/good.so", false },
	{ "same_type", "same_type.so", "task type test-echo is already served by plugin good from %1$s/good.so", false },
	{ NULL, "junk.so", "dlopen failed: ", true },
};

START_TEST(test_refusal_table)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755), *bad, *want, *line;
	struct plugin_error *e;
	char *cause = NULL;

	free(put("good", dir, "good.so", 0755));
	if (refusals[_i].plugin != NULL) {
		bad = put(refusals[_i].plugin, dir, refusals[_i].as, 0755);
	} else {
		bad = path_join(dir, refusals[_i].as);
		tu_write_file(bad, "this is not an ELF file\n");
		chmod(bad, 0644);
	}
	want = xasprintf(refusals[_i].reason, dir, sizeof(struct ygg_plugin));

	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, &cause), 1);
	/* The good one loaded all the same. */
	ck_assert_uint_eq(count_loaded(&ps), 1);
	ck_assert_ptr_nonnull(plugin_find(&ps, "good"));
	ck_assert_uint_eq(count_errors(&ps), 1);
	e = error_for(&ps, bad);
	ck_assert_msg(e != NULL, "no refusal recorded for %s", bad);
	if (refusals[_i].prefix)
		ck_assert_msg(strncmp(e->reason, want, strlen(want)) == 0, "reason \"%s\"", e->reason);
	else
		ck_assert_str_eq(e->reason, want);
	/* One log line naming the file and the reason. */
	line = xasprintf("yggd: warn: plugin=%s refused: %s", bad, e->reason);
	ck_assert_msg(tu_count(logged.p, line) == 1, "log:\n%s\nwant: %s", logged.p, line);
	ck_assert_int_eq(tu_count(logged.p, "refused"), 1);
	plugin_set_clear(&ps);
	free(line);
	free(want);
	free(bad);
	free(dir);
}
END_TEST

START_TEST(test_all_bad_at_once)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755);
	size_t nbad = 0;

	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
		if (refusals[i].plugin != NULL) {
			free(put(refusals[i].plugin, dir, refusals[i].as, 0644));
			nbad++;
		}
	free(put("good", dir, "good.so", 0644));
	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	ck_assert_uint_eq(count_errors(&ps), nbad);
	ck_assert_int_eq(tu_count(logged.p, " refused: "), (int)nbad);
	/* Refused before init: none of them said hello, the good one did, once. */
	ck_assert_int_eq(tu_count(logged.p, "plugin=good hello from good 1.0.0"), 1);
	plugin_set_clear(&ps);
	free(dir);
}
END_TEST

/* ---------------------------------------------------------------- modes */

static const struct {
	mode_t mode;
	bool ok;
} file_modes[] = {
	{ 0644, true }, { 0755, true }, { 0600, true }, { 0444, true },
	{ 0666, false }, { 0664, false }, { 0646, false }, { 0775, false }, { 0757, false },
};

START_TEST(test_file_mode_table)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755);
	char *path = put("good", dir, "good.so", file_modes[_i].mode);

	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), file_modes[_i].ok ? 1 : 0);
	if (!file_modes[_i].ok) {
		char *want = xasprintf("the file is group/world-writable (mode %04o): chmod go-w %s",
		    (unsigned)file_modes[_i].mode, path);
		ck_assert_ptr_nonnull(error_for(&ps, path));
		ck_assert_str_eq(error_for(&ps, path)->reason, want);
		free(want);
	} else {
		ck_assert_uint_eq(count_errors(&ps), 0);
	}
	plugin_set_clear(&ps);
	free(path);
	free(dir);
}
END_TEST

static const mode_t bad_dir_modes[] = { 0777, 0775, 0757, 0770 };

START_TEST(test_dir_mode_table)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755), *cause = NULL, *want;

	free(put("good", dir, "good.so", 0644));
	chmod(dir, bad_dir_modes[_i]);
	want = xasprintf("plugin_dir is group/world-writable (mode %04o): chmod go-w %s", (unsigned)bad_dir_modes[_i], dir);
	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, &cause), -1);
	ck_assert_str_eq(cause, want);
	ck_assert_uint_eq(count_loaded(&ps), 0);
	ck_assert_ptr_nonnull(error_for(&ps, dir));
	ck_assert_str_eq(error_for(&ps, dir)->reason, want);
	plugin_set_clear(&ps);
	free(cause);
	free(want);
	free(dir);
}
END_TEST

START_TEST(test_dir_missing)
{
	struct plugin_set ps;
	char *dir = path_join(root, "nope"), *cause = NULL, *want;

	want = xasprintf("plugin_dir %s: cannot open: No such file or directory", dir);
	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, &cause), -1);
	ck_assert_str_eq(cause, want);
	plugin_set_clear(&ps);
	free(cause);
	free(want);
	free(dir);
}
END_TEST

/* ---------------------------------------------------------------- symlinks, order, rescans */

START_TEST(test_symlinks)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755);
	char *safe = mkfolder("safe", 0755), *open_dir = mkfolder("open", 0777);
	char *target = put("good", safe, "good.so", 0644);
	char *loose = put("same_type", open_dir, "loose.so", 0644);
	char *l1 = path_join(dir, "good.so"), *l2 = path_join(dir, "loose.so"), *l3 = path_join(dir, "dangling.so");
	char *want;

	ck_assert_int_eq(symlink(target, l1), 0);
	ck_assert_int_eq(symlink(loose, l2), 0);
	ck_assert_int_eq(symlink("/nonexistent/x.so", l3), 0);
	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	/* A link to a safe file loads under the link's name. */
	ck_assert_ptr_nonnull(plugin_find(&ps, "good"));
	ck_assert_str_eq(plugin_find(&ps, "good")->path, l1);
	/* A link into a folder anyone can write is refused. */
	want = xasprintf("the folder the symlink points into is group/world-writable (mode 0777): chmod go-w %s", open_dir);
	ck_assert_ptr_nonnull(error_for(&ps, l2));
	ck_assert_str_eq(error_for(&ps, l2)->reason, want);
	ck_assert_ptr_nonnull(error_for(&ps, l3));
	ck_assert_str_eq(error_for(&ps, l3)->reason, "cannot open: No such file or directory");
	plugin_set_clear(&ps);
	free(want), free(l1), free(l2), free(l3), free(target), free(loose);
	free(safe), free(open_dir), free(dir);
}
END_TEST

START_TEST(test_order_and_ignored_names)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755), *want;
	char *dup = put("dup_name", dir, "a_dup.so", 0644);
	char *good = put("good", dir, "good.so", 0644);

	/* Not plugins: an install temporary, a hidden file, other extensions. */
	free(put("bad_abi", dir, "bad_abi.so.tmp", 0644));
	free(put("bad_abi", dir, ".hidden.so", 0644));
	free(put("bad_abi", dir, "bad_abi.so1", 0644));
	char *notes = path_join(dir, "notes.txt");
	tu_write_file(notes, "not a plugin\n");
	free(notes);
	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	/* Sorted by name: a_dup.so came first and took the name "good". */
	ck_assert_str_eq(plugin_find(&ps, "good")->version, "9.9.9");
	ck_assert_str_eq(plugin_find(&ps, "good")->path, dup);
	ck_assert_uint_eq(count_errors(&ps), 1);
	want = xasprintf("a plugin named good is already loaded from %s", dup);
	ck_assert_str_eq(error_for(&ps, good)->reason, want);
	plugin_set_clear(&ps);
	free(want), free(dup), free(good), free(dir);
}
END_TEST

START_TEST(test_hard_link_alias)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755);
	char *good = put("good", dir, "good.so", 0644);
	char *alias = path_join(dir, "alias.so"), *want;

	ck_assert_int_eq(link(good, alias), 0);
	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	ck_assert_str_eq(plugin_find(&ps, "good")->path, alias);
	want = xasprintf("the same file is already loaded as plugin good from %s", alias);
	ck_assert_str_eq(error_for(&ps, good)->reason, want);
	plugin_set_clear(&ps);
	free(want), free(alias), free(good), free(dir);
}
END_TEST

START_TEST(test_rescan_quiet)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755);
	size_t before;

	free(put("good", dir, "good.so", 0644));
	free(put("bad_abi", dir, "bad_abi.so", 0644));
	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	ck_assert_int_eq(tu_count(logged.p, "refused"), 1);
	before = logged.len;
	/* Nothing changed: nothing loads, nothing is said again, the refusal stays listed. */
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 0);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 0);
	ck_assert_msg(logged.len == before, "new log lines: %s", logged.p + before);
	ck_assert_uint_eq(count_errors(&ps), 1);
	ck_assert_uint_eq(count_loaded(&ps), 1);
	/* A new file is picked up by the next scan. */
	free(put("same_type", dir, "zz.so", 0644));
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 0);
	ck_assert_uint_eq(count_errors(&ps), 2);
	plugin_set_clear(&ps);
	free(dir);
}
END_TEST

/* ---------------------------------------------------------------- versions */

/* The system prompt a plugin's build_request sets: proves which code runs. */
static char *
system_prompt_of(struct plugin *p)
{
	struct issue is = { .id = "bd-1", .title = "t" };
	struct ygg_task t = { .issue = &is, .plugin_name = p->name, .type = "test-echo", .attempt = 1 };
	struct ygg_request req;
	char *s;

	request_init(&req);
	ck_assert_int_eq(p->desc->build_request(p->state, &t, &req), 0);
	s = xstrdup(req.system != NULL ? req.system : "");
	request_clear(&req);
	return s;
}

START_TEST(test_replace_while_in_use)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755);
	char *fini = path_join(root, "fini.log");
	struct plugin *v1, *v2, *v3;
	char *s, *log;

	setenv("YGG_TEST_FINI_FILE", fini, 1);
	free(put("good", dir, "good.so", 0644));
	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	v1 = plugin_find(&ps, "good");
	s = system_prompt_of(v1);
	ck_assert_str_eq(s, "echo system 1.0.0");
	free(s);
	plugin_ref(v1); /* a task in flight on version 1 */

	/* Installed by rename under the same path: the new code must run. */
	free(put("good_v2", dir, "good.so", 0644));
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	v2 = plugin_find(&ps, "good");
	ck_assert_ptr_ne(v2, v1);
	ck_assert_str_eq(v2->version, "2.0.0");
	s = system_prompt_of(v2);
	ck_assert_str_eq(s, "echo system 2.0.0");
	free(s);
	ck_assert_ptr_eq(TAILQ_FIRST(&ps.retired), v1);
	ck_assert(v1->retired);
	/* The old version still works for its task and is not unloaded yet. */
	s = system_prompt_of(v1);
	ck_assert_str_eq(s, "echo system 1.0.0");
	free(s);
	ck_assert_ptr_null(tu_read_file(fini, NULL));
	ck_assert_ptr_eq(plugin_for_type(&ps, "test-echo"), v2);
	plugin_unref(&ps, v1);
	ck_assert(TAILQ_EMPTY(&ps.retired));
	log = tu_read_file(fini, NULL);
	ck_assert_str_eq(log, "fini good 1.0.0\n");
	free(log);

	/* And back again: a third version through the same path, no task on v2. */
	free(put("good", dir, "good.so", 0644));
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	v3 = plugin_find(&ps, "good");
	ck_assert_str_eq(v3->version, "1.0.0");
	s = system_prompt_of(v3);
	ck_assert_str_eq(s, "echo system 1.0.0");
	free(s);
	ck_assert(TAILQ_EMPTY(&ps.retired));
	log = tu_read_file(fini, NULL);
	ck_assert_str_eq(log, "fini good 1.0.0\nfini good 2.0.0\n");
	free(log);
	ck_assert_int_eq(tu_count(logged.p, "refused"), 0);

	/* A refused new version leaves the loaded one in place. */
	free(put("bad_abi", dir, "good.so", 0644));
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 0);
	ck_assert_ptr_eq(plugin_find(&ps, "good"), v3);
	ck_assert_uint_eq(count_errors(&ps), 1);

	plugin_set_clear(&ps);
	log = tu_read_file(fini, NULL);
	ck_assert_str_eq(log, "fini good 1.0.0\nfini good 2.0.0\nfini good 1.0.0\n");
	free(log);
	unsetenv("YGG_TEST_FINI_FILE");
	free(fini);
	free(dir);
}
END_TEST

START_TEST(test_removed_file_retires)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755);
	char *fini = path_join(root, "fini.log");
	char *good, *log;
	struct plugin *p;

	setenv("YGG_TEST_FINI_FILE", fini, 1);
	good = put("good", dir, "good.so", 0644);
	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	p = plugin_find(&ps, "good");
	plugin_ref(p);
	ck_assert_int_eq(unlink(good), 0);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 0);
	ck_assert_ptr_null(plugin_find(&ps, "good"));
	ck_assert_ptr_eq(TAILQ_FIRST(&ps.retired), p);
	ck_assert_ptr_null(tu_read_file(fini, NULL));
	plugin_unref(&ps, p);
	log = tu_read_file(fini, NULL);
	ck_assert_str_eq(log, "fini good 1.0.0\n");
	free(log);
	/* A file loaded on its own (not from the scanned folder) is not retired by a scan. */
	char *other = mkfolder("other", 0755);
	char *single = put("good", other, "single.so", 0644);
	ck_assert_int_eq(plugin_load_file(&ps, single, NULL), 0);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 0);
	ck_assert_ptr_nonnull(plugin_find(&ps, "good"));
	plugin_set_clear(&ps);
	unsetenv("YGG_TEST_FINI_FILE");
	free(single), free(other), free(good), free(fini), free(dir);
}
END_TEST

START_TEST(test_lookup_helpers)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755);
	struct handler_conf by_type = { .type = "test-echo" };
	struct handler_conf by_name = { .type = "chat", .plugin = "good" };
	struct handler_conf unknown = { .type = "nothing" };
	struct handler_conf bad_name = { .type = "test-echo", .plugin = "nope" };
	struct plugin *good;

	free(put("good", dir, "good.so", 0644));
	free(put("same_type", dir, "same_type.so", 0644));
	plugin_set_init(&ps);
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	good = plugin_find(&ps, "good");
	ck_assert_ptr_nonnull(good);
	ck_assert(plugin_serves(good, "test-echo"));
	ck_assert(!plugin_serves(good, "other-type"));
	ck_assert_ptr_eq(plugin_for_type(&ps, "test-echo"), good);
	ck_assert_ptr_null(plugin_for_type(&ps, "other-type")); /* same_type was refused whole */
	ck_assert_ptr_eq(plugin_for_handler(&ps, &by_type), good);
	ck_assert_ptr_eq(plugin_for_handler(&ps, &by_name), good);
	ck_assert_ptr_null(plugin_for_handler(&ps, &unknown));
	ck_assert_ptr_null(plugin_for_handler(&ps, &bad_name));
	ck_assert_ptr_null(plugin_for_handler(&ps, NULL));
	ck_assert_ptr_null(plugin_find(&ps, "same-type"));
	plugin_unref(&ps, NULL);
	plugin_set_clear(&ps);
	free(dir);
}
END_TEST

START_TEST(test_not_regular_files)
{
	struct plugin_set ps;
	char *dir = mkfolder("plugins", 0755);
	char *fifo = path_join(dir, "fifo.so"), *sub = path_join(dir, "sub.so");
	char *link = path_join(dir, "tofifo.so"), *elsewhere = mkfolder("elsewhere", 0755);
	char *fifo2 = path_join(elsewhere, "f");

	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(mkfifo(fifo2, 0644), 0);
	ck_assert_int_eq(symlink(fifo2, link), 0);
	free(put("good", dir, "good.so", 0644));
	plugin_set_init(&ps);
	/* Returns at all (a FIFO has no writer), and refuses each. */
	ck_assert_int_eq(plugin_load_dir(&ps, dir, NULL), 1);
	ck_assert_str_eq(error_for(&ps, fifo)->reason, "not a regular file");
	ck_assert_str_eq(error_for(&ps, sub)->reason, "not a regular file");
	ck_assert_str_eq(error_for(&ps, link)->reason, "not a regular file");
	plugin_set_clear(&ps);
	free(fifo), free(sub), free(link), free(fifo2), free(elsewhere), free(dir);
}
END_TEST

/* A bare file name is this folder's file, not one from the library path. */
START_TEST(test_relative_name)
{
	char *dir = mkfolder("plugins", 0755), *cwd = getcwd(NULL, 0), *cause = NULL;

	free(put("good", dir, "good.so", 0644));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_msg(plugin_check_file("good.so", &cause) == 0, "%s", cause);
	ck_assert_int_eq(plugin_check_file("./good.so", NULL), 0);
	ck_assert_int_eq(chdir(cwd), 0);
	free(cwd), free(dir);
}
END_TEST

START_TEST(test_check_file)
{
	char *dir = mkfolder("plugins", 0755), *cause = NULL;
	char *good = put("good", dir, "good.so", 0644);
	char *bad = put("bad_abi", dir, "bad_abi.so", 0644);

	ck_assert_int_eq(plugin_check_file(good, &cause), 0);
	ck_assert_ptr_null(cause);
	ck_assert_int_eq(plugin_check_file(bad, &cause), -1);
	ck_assert_str_eq(cause, "built for plugin ABI 99, this yggd speaks ABI 1");
	free(cause);
	/* Checking twice works: the first check unloaded the file. */
	ck_assert_int_eq(plugin_check_file(good, NULL), 0);
	free(good), free(bad), free(dir);
}
END_TEST

/* ---------------------------------------------------------------- ygg-plugin */

static const char *const six[] = { "artifact", "code-generation", "general", "reasoning", "summarize",
	"text-processing" };

/* root/ygg.ini with plugin_dir = plugins holding the six in-tree plugins and bad_abi.so. */
static char *
tool_setup(char **dir_out)
{
	char *dir = mkfolder("plugins", 0755), *ini = path_join(root, "ygg.ini");

	for (size_t i = 0; i < sizeof six / sizeof six[0]; i++) {
		char *rel = xasprintf("plugins/%s.so", six[i]);
		char *src = tu_build(rel);
		char *as = xasprintf("%s.so", six[i]);
		free(install_file(src, dir, as, 0644));
		free(as), free(src), free(rel);
	}
	free(put("bad_abi", dir, "bad_abi.so", 0644));
	tu_write_file(ini, "[yggd]\n"
	                   "plugin_dir = plugins\n"
	                   "control = off\n"
	                   "\n"
	                   "[host.a]\nurl = http://127.0.0.1:9\napi = ollama\nmodel = m1\nslots = 1\n\n"
	                   "[host.b]\nurl = http://127.0.0.1:10\napi = openai\nmodel = m2\nslots = 2\n\n"
	                   "[handler.general]\nhosts = a, b\ndefault = yes\n\n"
	                   "[handler.code-generation]\nhosts = b, a\n\n"
	                   "[handler.chat]\nhosts = b\nplugin = general\n");
	*dir_out = dir;
	return ini;
}

static int
run_tool(char **out, const char *a1, const char *a2, const char *a3, const char *a4, const char *a5)
{
	char *bin = tu_bin("ygg-plugin");
	char *argv[] = { bin, (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5, NULL };
	int rc = tu_run(argv, 30, out);

	free(bin);
	return rc;
}

START_TEST(test_tool_list)
{
	char *dir, *ini = tool_setup(&dir), *out, *line;
	int rc = run_tool(&out, "-c", ini, "list", NULL, NULL);

	ck_assert_msg(rc == 0, "rc %d: %s", rc, out);
	line = xasprintf("loading plugin_dir %s directly", dir);
	ck_assert_msg(strstr(out, line) != NULL, "%s", out);
	free(line);
	ck_assert_msg(strstr(out, "NAME") != NULL && strstr(out, "HOSTS") != NULL, "%s", out);
	for (size_t i = 0; i < sizeof six / sizeof six[0]; i++) {
		line = xasprintf("%s/%s.so\n", dir, six[i]);
		ck_assert_msg(strstr(out, line) != NULL, "%s missing:\n%s", six[i], out);
		free(line);
	}
	/* general serves [handler.general] and, by name, [handler.chat]: hosts a, b in order. */
	ck_assert_msg(strstr(out, "general          1.0.0    general          a,b") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "code-generation  1.0.0    code-generation  b,a") != NULL, "%s", out);
	line = xasprintf("refused %s/bad_abi.so: built for plugin ABI 99, this yggd speaks ABI 1\n", dir);
	ck_assert_msg(strstr(out, line) != NULL, "%s", out);
	free(line);
	free(out), free(ini), free(dir);
}
END_TEST

static struct json_object *
entry_named(struct json_object *arr, const char *key, const char *value)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		if (json_object_object_get_ex(o, key, &v) && strcmp(json_object_get_string(v), value) == 0)
			return o;
	}
	return NULL;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

START_TEST(test_tool_list_json)
{
	char *dir, *ini = tool_setup(&dir), *out, *bad;
	int rc = run_tool(&out, "--json", "-c", ini, "list", NULL);
	struct json_object *arr, *o, *hosts, *handlers;
	const char *start;

	ck_assert_msg(rc == 0, "rc %d: %s", rc, out);
	start = strchr(out, '[');
	ck_assert_ptr_nonnull(start);
	arr = json_tokener_parse(start);
	ck_assert_msg(arr != NULL && json_object_is_type(arr, json_type_array), "%s", out);
	ck_assert_uint_eq(json_object_array_length(arr), 7);
	o = entry_named(arr, "name", "general");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jstr(o, "version"), "1.0.0");
	ck_assert_str_eq(jstr(o, "status"), "loaded");
	ck_assert(json_object_object_get_ex(o, "hosts", &hosts));
	ck_assert_str_eq(json_object_to_json_string_ext(hosts, JSON_C_TO_STRING_PLAIN), "[\"a\",\"b\"]");
	ck_assert(json_object_object_get_ex(o, "handlers", &handlers));
	ck_assert_str_eq(json_object_to_json_string_ext(handlers, JSON_C_TO_STRING_PLAIN), "[\"general\",\"chat\"]");
	o = entry_named(arr, "name", "reasoning");
	ck_assert(json_object_object_get_ex(o, "hosts", &hosts));
	ck_assert_uint_eq(json_object_array_length(hosts), 0);
	bad = xasprintf("%s/bad_abi.so", dir);
	o = entry_named(arr, "file", bad);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jstr(o, "status"), "refused");
	ck_assert_str_eq(jstr(o, "error"), "built for plugin ABI 99, this yggd speaks ABI 1");
	json_object_put(arr);
	free(bad), free(out), free(ini), free(dir);
}
END_TEST

START_TEST(test_tool_info)
{
	char *dir, *ini = tool_setup(&dir), *out, *want;
	int rc = run_tool(&out, "-c", ini, "info", "code-generation", NULL);

	ck_assert_msg(rc == 0, "rc %d: %s", rc, out);
	want = xasprintf("ygg-plugin: loaded plugin_dir %s directly (static mode)\n", dir);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(want);
	want = xasprintf("name:        code-generation\nversion:     1.0.0\nfile:        %s/code-generation.so\n", dir);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_msg(strstr(out, "hosts:       b, a\n") != NULL, "%s", out);
	free(want);
	free(out);

	rc = run_tool(&out, "-c", ini, "info", "nope", NULL);
	ck_assert_int_eq(rc, 1);
	want = xasprintf("ygg-plugin: no plugin named nope is loaded from %s", dir);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(want);
	free(out);

	rc = run_tool(&out, "--json", "-c", ini, "info", "summarize");
	ck_assert_int_eq(rc, 0);
	struct json_object *o = json_tokener_parse(strchr(out, '{'));
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jstr(o, "name"), "summarize");
	json_object_put(o);
	free(out), free(ini), free(dir);
}
END_TEST

START_TEST(test_tool_check)
{
	char *dir, *ini = tool_setup(&dir), *out, *bad = path_join(dir, "bad_abi.so");
	char *good = put("good", dir, "zgood.so", 0644), *want;
	int rc;

	rc = run_tool(&out, "check", bad, NULL, NULL, NULL);
	ck_assert_int_eq(rc, 1);
	want = xasprintf("ygg-plugin: %s: refused: built for plugin ABI 99, this yggd speaks ABI 1\n", bad);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(want);
	free(out);

	rc = run_tool(&out, "check", good, NULL, NULL, NULL);
	ck_assert_msg(rc == 0, "rc %d: %s", rc, out);
	ck_assert_str_eq(out, "ok good 1.0.0 test-echo\n");
	free(out);

	rc = run_tool(&out, "--json", "check", good, NULL, NULL);
	ck_assert_int_eq(rc, 0);
	struct json_object *o = json_tokener_parse(out);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jstr(o, "status"), "ok");
	ck_assert_str_eq(jstr(o, "name"), "good");
	json_object_put(o);
	free(out);

	rc = run_tool(&out, "check", "/nonexistent/x.so", NULL, NULL, NULL);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "/nonexistent/x.so: refused: cannot stat: No such file or directory") != NULL, "%s", out);
	free(out);
	free(good), free(bad), free(ini), free(dir);
}
END_TEST

START_TEST(test_tool_usage_and_config_errors)
{
	char *dir, *ini = tool_setup(&dir), *out, *badini = path_join(root, "bad.ini");
	static const char *const usages[][3] = {
		{ NULL, NULL, NULL },
		{ "lsit", NULL, NULL },
		{ "list", "extra", NULL },
		{ "info", NULL, NULL },
		{ "check", NULL, NULL },
		{ "--bogus", "list", NULL },
	};

	for (size_t i = 0; i < sizeof usages / sizeof usages[0]; i++) {
		int rc = run_tool(&out, "-c", ini, usages[i][0], usages[i][1], usages[i][2]);
		ck_assert_msg(rc == 2, "case %zu: rc %d", i, rc);
		ck_assert_msg(strstr(out, "usage: ygg-plugin") != NULL, "%s", out);
		free(out);
	}
	ck_assert_int_eq(run_tool(&out, "--help", NULL, NULL, NULL, NULL), 0);
	ck_assert_msg(strstr(out, "usage: ygg-plugin") != NULL, "%s", out);
	free(out);

	/* A bad configuration: its message, exit 2. */
	tu_write_file(badini, "[yggd]\nplugin_dir = plugins\nbogus_key = 1\n");
	ck_assert_int_eq(run_tool(&out, "-c", badini, "list", NULL, NULL), 2);
	ck_assert_msg(strstr(out, "bad.ini:3: bogus_key:") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(run_tool(&out, "-c", badini, "info", "general", NULL), 2);
	free(out);
	ck_assert_int_eq(run_tool(&out, "-c", "/nonexistent/ygg.ini", "list", NULL, NULL), 2);
	ck_assert_msg(strstr(out, "/nonexistent/ygg.ini") != NULL, "%s", out);
	free(out);

	/* An unusable plugin_dir: exit 1 with the reason. */
	chmod(dir, 0777);
	ck_assert_int_eq(run_tool(&out, "-c", ini, "list", NULL, NULL), 1);
	ck_assert_msg(strstr(out, "plugin_dir is group/world-writable (mode 0777): chmod go-w") != NULL, "%s", out);
	free(out);
	chmod(dir, 0755);
	free(badini), free(ini), free(dir);
}
END_TEST

struct find_block {
	const char *path;
	char *body;
};

static int
find_named_block(void *arg, const struct ygg_code_block *b)
{
	struct find_block *f = arg;

	if (b->path_len != strlen(f->path) || memcmp(b->path, f->path, b->path_len) != 0)
		return 0;
	f->body = xstrndup(b->body, b->body_len);
	return 1;
}

/* plugins/README.md's example compiles as shown, loads, and does what it says. */
START_TEST(test_readme_example)
{
	struct find_block fb = { .path = "shout.c" };
	char *readme = tu_src("plugins/README.md"), *text, *out, *inc = tu_src("include");
	char *c = path_join(root, "shout.c"), *so = path_join(root, "shout.so"), *cause = NULL;
	size_t len;
	struct plugin_set ps;
	struct plugin *p;

	text = tu_read_file(readme, &len);
	ck_assert_ptr_nonnull(text);
	hostapi_get()->text_code_blocks(text, len, find_named_block, &fb);
	ck_assert_msg(fb.body != NULL, "no ```c file=shout.c block in %s", readme);
	tu_write_file(c, fb.body);
	if (access("/usr/bin/cc", X_OK) != 0) {
		fprintf(stderr, "check_plugin: no /usr/bin/cc: README example not compiled\n");
	} else {
		char *cc[] = { "/usr/bin/cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
			"-fvisibility=hidden", "-I", inc, "-o", so, c, NULL };
		int rc = tu_run(cc, 120, &out);
		ck_assert_msg(rc == 0, "cc failed (%d): %s", rc, out);
		free(out);
		chmod(so, 0644);
		ck_assert_int_eq(run_tool(&out, "check", so, NULL, NULL, NULL), 0);
		ck_assert_str_eq(out, "ok shout 1.0.0 shout\n");
		free(out);

		struct issue is = { .id = "bd-1", .title = "Say hi" };
		struct ygg_task t = { .issue = &is, .plugin_name = "shout", .type = "shout", .attempt = 1 };
		struct ygg_reply reply = { .content = "  hello, world\n", .len = 15 };
		struct ygg_result res;
		plugin_set_init(&ps);
		ck_assert_int_eq(plugin_load_file(&ps, so, &cause), 0);
		p = plugin_find(&ps, "shout");
		result_init(&res);
		ck_assert_int_eq(p->desc->handle_reply(p->state, &t, &reply, &res), 0);
		ck_assert_str_eq(res.text, "HELLO, WORLD");
		result_clear(&res);
		plugin_set_clear(&ps);
	}
	free(fb.body), free(text), free(readme), free(inc), free(c), free(so);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *
plugin_suite(void)
{
	Suite *s = suite_create("plugin");
	TCase *tc = tcase_create("loader");
	TCase *tool = tcase_create("ygg-plugin");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_refusal_table, 0, N(refusals));
	tcase_add_test(tc, test_all_bad_at_once);
	tcase_add_loop_test(tc, test_file_mode_table, 0, N(file_modes));
	tcase_add_loop_test(tc, test_dir_mode_table, 0, N(bad_dir_modes));
	tcase_add_test(tc, test_dir_missing);
	tcase_add_test(tc, test_symlinks);
	tcase_add_test(tc, test_order_and_ignored_names);
	tcase_add_test(tc, test_hard_link_alias);
	tcase_add_test(tc, test_rescan_quiet);
	tcase_add_test(tc, test_replace_while_in_use);
	tcase_add_test(tc, test_removed_file_retires);
	tcase_add_test(tc, test_lookup_helpers);
	tcase_add_test(tc, test_not_regular_files);
	tcase_add_test(tc, test_relative_name);
	tcase_add_test(tc, test_check_file);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tool, setup, teardown);
	tcase_set_timeout(tool, 60);
	tcase_add_test(tool, test_tool_list);
	tcase_add_test(tool, test_tool_list_json);
	tcase_add_test(tool, test_tool_info);
	tcase_add_test(tool, test_tool_check);
	tcase_add_test(tool, test_tool_usage_and_config_errors);
	tcase_add_test(tool, test_readme_example);
	suite_add_tcase(s, tool);
	return s;
}
