/*
 * check_tracker.c - issues.jsonl as lines: every real tracker in the corpus
 * loads and round-trips byte for byte, a patch touches one line only, and the
 * awkward files (duplicates, bad lines, CRLF, no final newline, a 10 MB line)
 * come back as they were. Also the issue record read from a line (issue.c),
 * checked against json-c reading the same text.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "testutil.h"
#include "ygg.h"

/* ------------------------------------------------------------ log capture */

static struct buf logged;
static int nwarn;

static void
capture(enum log_level level, const char *line, void *arg)
{
	(void)arg;
	if (level == LOG_LVL_WARN)
		nwarn++;
	buf_adds(&logged, line);
	buf_addc(&logged, '\n');
}

static void
capture_start(void)
{
	buf_init(&logged);
	buf_adds(&logged, "");
	nwarn = 0;
	log_set_level(LOG_LVL_ERROR); /* keep the run quiet; the hook still sees everything */
	log_set_hook(capture, NULL);
}

static void
capture_stop(void)
{
	log_set_hook(NULL, NULL);
	buf_free(&logged);
}

/* ------------------------------------------------------------ helpers */

static struct tracker *
load_text(const char *text, const char *name)
{
	struct tracker *t = tracker_new();

	ck_assert_int_eq(tracker_load(t, text, strlen(text), name), 0);
	return t;
}

static char *
render(const struct tracker *t)
{
	struct buf b;

	buf_init(&b);
	tracker_render(t, &b);
	return buf_steal(&b);
}

/* Lines of text (split on "\n", the final empty piece after a newline dropped). */
static size_t
split_lines(const char *text, size_t len, const char ***starts, size_t **lens)
{
	size_t n = 0, cap = 64;
	const char *p = text, *end = text + len;

	*starts = xmalloc(cap * sizeof **starts);
	*lens = xmalloc(cap * sizeof **lens);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (n == cap) {
			cap *= 2;
			*starts = xrealloc(*starts, cap * sizeof **starts);
			*lens = xrealloc(*lens, cap * sizeof **lens);
		}
		(*starts)[n] = p;
		(*lens)[n] = (size_t)((nl ? nl : end) - p);
		n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

static struct patch
mkpatch(enum patch_op op, const char *id, const char *comment, int64_t now)
{
	struct patch p = { 0 };

	p.op = op;
	p.id = xstrdup(id);
	p.assignee = xstrdup("yggd");
	p.comment = comment ? xstrdup(comment) : NULL;
	p.now = now;
	return p;
}

static int64_t
ts(const char *s)
{
	int64_t ns;

	ck_assert_msg(time_parse(s, strlen(s), &ns) == 0, "not a timestamp: %s", s);
	return ns;
}

static bool
streq_null(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Two readings of one issue agree on every field. */
static void
assert_same_issue(const struct issue *a, const struct issue *b, const char *where)
{
	ck_assert_msg(streq_null(a->id, b->id), "%s: id", where);
	ck_assert_msg(streq_null(a->title, b->title), "%s: title", where);
	ck_assert_msg(streq_null(a->description, b->description), "%s: description", where);
	ck_assert_msg(streq_null(a->design, b->design), "%s: design", where);
	ck_assert_msg(streq_null(a->acceptance_criteria, b->acceptance_criteria), "%s: acceptance", where);
	ck_assert_msg(streq_null(a->notes, b->notes), "%s: notes", where);
	ck_assert_msg(streq_null(a->status, b->status), "%s: status", where);
	ck_assert_msg(streq_null(a->issue_type, b->issue_type), "%s: issue_type", where);
	ck_assert_msg(streq_null(a->assignee, b->assignee), "%s: assignee", where);
	ck_assert_msg(streq_null(a->created_at, b->created_at), "%s: created_at", where);
	ck_assert_msg(streq_null(a->updated_at, b->updated_at), "%s: updated_at", where);
	ck_assert_msg(a->created_ns == b->created_ns, "%s: created_ns", where);
	ck_assert_msg(a->defer_ns == b->defer_ns, "%s: defer_ns", where);
	ck_assert_msg(a->priority == b->priority, "%s: priority %d %d", where, a->priority, b->priority);
	ck_assert_msg(a->pinned == b->pinned && a->ephemeral == b->ephemeral, "%s: flags", where);
	ck_assert_msg(a->nlabels == b->nlabels, "%s: nlabels", where);
	for (size_t i = 0; i < a->nlabels; i++)
		ck_assert_msg(strcmp(a->labels[i], b->labels[i]) == 0, "%s: label %zu", where, i);
	ck_assert_msg(a->ndeps == b->ndeps, "%s: ndeps %zu %zu", where, a->ndeps, b->ndeps);
	for (size_t i = 0; i < a->ndeps; i++)
		ck_assert_msg(strcmp(a->deps[i].depends_on, b->deps[i].depends_on) == 0 && a->deps[i].type == b->deps[i].type,
		    "%s: dep %zu", where, i);
	ck_assert_msg(a->max_comment_id == b->max_comment_id && a->comment_ids_int == b->comment_ids_int &&
	    a->comment_ids_str == b->comment_ids_str, "%s: comments", where);
}

/* ------------------------------------------------------------ the corpus */

static char **corpus;
static size_t ncorpus;

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
corpus_list(void)
{
	char *dir = tu_src("tests/corpus/beads");
	DIR *d = opendir(dir);
	struct dirent *de;

	ncorpus = 0;
	corpus = xcalloc(64, sizeof *corpus);
	while (d != NULL && (de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 6 && strcmp(de->d_name + l - 6, ".jsonl") == 0 && ncorpus < 63)
			corpus[ncorpus++] = xstrdup(de->d_name);
	}
	if (d != NULL)
		closedir(d);
	qsort(corpus, ncorpus, sizeof *corpus, name_cmp);
	free(dir);
}

START_TEST(test_corpus_present)
{
	/* the suite must not pass by finding nothing */
	ck_assert_uint_eq(ncorpus, 20);
}
END_TEST

/* Is this parsed line an issue record as bd sees it? */
static bool
is_issue_obj(struct json_object *o)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, "_type", &v) && v != NULL &&
	    (!json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), "issue") != 0))
		return false;
	return json_object_object_get_ex(o, "id", &v) && json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0;
}

START_TEST(test_corpus_file)
{
	const char *name = corpus[_i];
	char *rel = xasprintf("tests/corpus/beads/%s", name), *path = tu_src(rel);
	char *shared = xasprintf("/work/shared/corpus/beads/%s", name);
	size_t len, slen, nl = 0, nissue_lines = 0, target = SIZE_MAX, nlines_out, *lens;
	char *data = tu_read_file(path, &len), *sdata, *out;
	struct tracker *t = tracker_new();
	struct json_object **objs;
	const struct issue **list;
	const char **starts;
	bool strings = false;
	int64_t maxid = 0;

	ck_assert_msg(data != NULL, "cannot read %s", path);
	/* the copy in the repository is the shared corpus, byte for byte, where that exists */
	if ((sdata = tu_read_file(shared, &slen)) != NULL) {
		ck_assert(slen == len && memcmp(sdata, data, len) == 0);
		free(sdata);
	}
	capture_start();
	ck_assert_int_eq(tracker_load(t, data, len, name), 0);
	ck_assert_int_eq(nwarn, 0);
	for (size_t i = 0; i < len; i++)
		nl += data[i] == '\n';
	ck_assert_uint_eq(t->nlines, nl + (len > 0 && data[len - 1] != '\n'));
	ck_assert(t->trailing_newline == (len > 0 && data[len - 1] == '\n'));

	/* a render with no patches is the file */
	out = render(t);
	ck_assert(strlen(out) == len && memcmp(out, data, len) == 0);
	free(out);

	/* each line against json-c: same verdict, same fields */
	objs = xcalloc(t->nlines, sizeof *objs);
	struct idmap *last = idmap_new(t->nlines);
	for (size_t i = 0; i < t->nlines; i++) {
		struct tracker_line *l = &t->lines[i];
		struct issue *ji = NULL;
		char where[256];
		ck_assert(!l->bad);
		if (l->len == 0)
			continue;
		objs[i] = json_tokener_parse(l->raw);
		ck_assert_msg(objs[i] != NULL, "%s:%zu: json-c cannot read it", name, i + 1);
		ck_assert_msg((l->issue != NULL) == is_issue_obj(objs[i]), "%s:%zu: issue or not", name, i + 1);
		if (l->issue == NULL)
			continue;
		nissue_lines++;
		idmap_put(last, l->issue->id, i);
		snprintf(where, sizeof where, "%s:%zu", name, i + 1);
		ck_assert_int_eq(issue_from_json(objs[i], &ji), 0);
		assert_same_issue(l->issue, ji, where);
		issue_free(ji);
		if (l->issue->comment_ids_str)
			strings = true;
		if (l->issue->max_comment_id > maxid)
			maxid = l->issue->max_comment_id;
		if (target == SIZE_MAX && strcmp(l->issue->status, "open") == 0)
			target = i;
	}
	ck_assert_uint_gt(nissue_lines, 0);
	size_t nissues = tracker_issues(t, &list);
	ck_assert_uint_le(nissues, nissue_lines);
	for (size_t k = 0; k < nissues; k++) {
		size_t at;
		ck_assert_int_eq(idmap_get(last, list[k]->id, &at), 0);
		ck_assert_ptr_eq(list[k], t->lines[at].issue);
		ck_assert_ptr_eq(tracker_get(t, list[k]->id), list[k]);
	}
	idmap_free(last);

	/* one patch: only its line changes, and it keeps every member it had */
	enum patch_op op = PATCH_CLAIM;
	if (target == SIZE_MAX) {
		op = PATCH_COMMENT; /* nothing open in this file: comment on the first issue */
		target = 0;
		while (t->lines[target].issue == NULL)
			target++;
	}
	/* a copy: the patch replaces the issue record the tracker held */
	char *tid = xstrdup(t->lines[target].issue->id);
	char *old_updated = t->lines[target].issue->updated_at ? xstrdup(t->lines[target].issue->updated_at) : NULL;
	struct patch p = mkpatch(op, tid, "result: <b>ok</b> & done\nline two", now_wall_ns());
	struct buf ob;
	buf_init(&ob);
	tracker_apply(t, &p, 1, &ob);
	ck_assert_msg(p.result == 0, "%s: %s", name, p.why ? p.why : "");
	nlines_out = split_lines(ob.p, ob.len, &starts, &lens);
	ck_assert_uint_eq(nlines_out, nl);
	ck_assert(ob.p[ob.len - 1] == '\n');
	const char **ostarts;
	size_t *olens;
	split_lines(data, len, &ostarts, &olens);
	for (size_t i = 0; i < nlines_out; i++)
		if (i != target)
			ck_assert_msg(lens[i] == olens[i] && memcmp(starts[i], ostarts[i], lens[i]) == 0, "%s:%zu changed",
			    name, i + 1);
	char *newline = xstrndup(starts[target], lens[target]);
	struct json_object *nobj = json_tokener_parse(newline), *v;
	ck_assert_msg(nobj != NULL, "%s: patched line is not JSON", name);
	json_object_object_foreach(objs[target], key, val) {
		ck_assert_msg(json_object_object_get_ex(nobj, key, &v), "%s: lost member %s", name, key);
		if (strcmp(key, "status") && strcmp(key, "assignee") && strcmp(key, "updated_at") &&
		    strcmp(key, "started_at") && strcmp(key, "comments"))
			ck_assert_msg(json_object_equal(val, v), "%s: member %s changed", name, key);
	}
	ck_assert(json_object_object_get_ex(nobj, "status", &v));
	if (op == PATCH_CLAIM)
		ck_assert_str_eq(json_object_get_string(v), "in_progress");
	else
		ck_assert(json_object_equal(v, json_object_object_get(objs[target], "status")));
	ck_assert(json_object_object_get_ex(nobj, "updated_at", &v));
	if (old_updated != NULL)
		ck_assert(ts(json_object_get_string(v)) > ts(old_updated));
	ck_assert(json_object_object_get_ex(nobj, "comments", &v));
	struct json_object *c = json_object_array_get_idx(v, json_object_array_length(v) - 1), *cid;
	ck_assert_str_eq(json_object_get_string(json_object_object_get(c, "text")), "result: <b>ok</b> & done\nline two");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(c, "author")), "yggd");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(c, "issue_id")), tid);
	cid = json_object_object_get(c, "id");
	if (strings)
		ck_assert(json_object_is_type(cid, json_type_string));
	else
		ck_assert_int_eq(json_object_get_int64(cid), maxid + 1);
	/* Go's escaping: no raw '<' from our text on the line */
	ck_assert_ptr_nonnull(strstr(newline, "result: \\u003cb\\u003eok\\u003c/b\\u003e \\u0026 done\\nline two"));
	json_object_put(nobj);
	free(newline);

	/* the written file reads back with nothing to re-parse */
	uint64_t gen = t->generation;
	ck_assert_int_eq(tracker_load(t, ob.p, ob.len, name), 0);
	ck_assert_uint_eq(t->reparsed, 0);
	ck_assert_uint_eq(t->generation, gen);

	/* a one-line edit re-parses that line only */
	size_t edit = 0;
	while (edit == target || lens[edit] == 0)
		edit++;
	struct buf e;
	buf_init(&e);
	buf_add(&e, ob.p, (size_t)(starts[edit] - ob.p) + lens[edit] - 1);
	buf_adds(&e, " }");
	buf_add(&e, starts[edit] + lens[edit], (size_t)(ob.p + ob.len - (starts[edit] + lens[edit])));
	ck_assert_int_eq(tracker_load(t, e.p, e.len, name), 0);
	ck_assert_uint_eq(t->reparsed, 1);
	ck_assert_uint_eq(t->generation, gen + 1);
	ck_assert_int_eq(nwarn, 0);

	buf_free(&e);
	buf_free(&ob);
	free(starts);
	free(lens);
	free(ostarts);
	free(olens);
	free(old_updated);
	free(tid);
	patch_free_fields(&p);
	for (size_t i = 0; i < t->nlines; i++)
		if (objs[i] != NULL)
			json_object_put(objs[i]);
	free(objs);
	tracker_free(t);
	capture_stop();
	free(data);
	free(rel);
	free(path);
	free(shared);
}
END_TEST

/* ------------------------------------------------------ awkward files */

START_TEST(test_duplicates)
{
	const char *text = "{\"id\":\"d-1\",\"title\":\"A\",\"status\":\"open\"}\n"
			   "{\"id\":\"d-2\",\"title\":\"other\"}\n"
			   "{\"id\":\"d-1\",\"title\":\"B\",\"status\":\"in_progress\",\"assignee\":\"yggd\"}\n";
	struct tracker *t = load_text(text, "dup.jsonl");
	const struct issue **list;
	struct patch p = mkpatch(PATCH_CLOSE, "d-1", NULL, ts("2026-01-01T00:00:00Z"));
	struct buf out;

	ck_assert_uint_eq(t->nlines, 3);
	ck_assert_str_eq(tracker_get(t, "d-1")->title, "B");
	ck_assert_uint_eq(tracker_issues(t, &list), 2);
	/* file order of the winning lines: d-2 (line 2) before d-1 (line 3) */
	ck_assert_str_eq(list[0]->id, "d-2");
	ck_assert_str_eq(list[1]->title, "B");
	/* the patch goes to the last line; the first stays as it was */
	buf_init(&out);
	tracker_apply(t, &p, 1, &out);
	ck_assert_int_eq(p.result, 0);
	ck_assert_str_eq(out.p, "{\"id\":\"d-1\",\"title\":\"A\",\"status\":\"open\"}\n"
				"{\"id\":\"d-2\",\"title\":\"other\"}\n"
				"{\"id\":\"d-1\",\"title\":\"B\",\"status\":\"closed\",\"assignee\":\"yggd\","
				"\"closed_at\":\"2026-01-01T00:00:00.000000000Z\",\"updated_at\":\"2026-01-01T00:00:00.000000000Z\"}\n");
	ck_assert_str_eq(tracker_get(t, "d-1")->status, "closed");
	ck_assert_uint_eq(tracker_issues(t, &list), 2);
	buf_free(&out);
	patch_free_fields(&p);
	tracker_free(t);
}
END_TEST

START_TEST(test_bad_lines)
{
	const char *text = "{\"id\":\"g-1\",\"title\":\"good\"}\n"
			   "not json at all\n"
			   "{\"id\":\"g-2\",\"title\":\"cut off\n"
			   "[1,2,3]\n"
			   "{\"id\":5,\"title\":\"numeric id\"}\n"
			   "{\"_type\":\"memory\",\"key\":\"k\",\"value\":\"v\"}\n"
			   "{\"id\":\"g-3\",\"status\":\"in_progress\",\"assignee\":\"yggd\"}\n";
	const char *moved = "{\"id\":\"g-1\",\"title\":\"good\"}\n"
			    "[1,2,3]\n"
			    "{\"id\":\"g-3\",\"status\":\"in_progress\",\"assignee\":\"yggd\"}\n"
			    "not json at all\n"
			    "{\"id\":\"g-2\",\"title\":\"cut off\n"
			    "{\"id\":5,\"title\":\"numeric id\"}\n";
	struct tracker *t;
	struct patch p = mkpatch(PATCH_REOPEN, "g-3", NULL, ts("2026-01-01T00:00:00Z"));
	struct buf out;
	char *r;

	capture_start();
	t = load_text(text, "bad.jsonl");
	ck_assert_int_eq(nwarn, 4);
	ck_assert_ptr_nonnull(strstr(logged.p, "bad.jsonl:2: not a JSON object, kept as it is: "));
	ck_assert_ptr_nonnull(strstr(logged.p, "bad.jsonl:3: not a JSON object, kept as it is: unterminated string"));
	ck_assert_ptr_nonnull(strstr(logged.p, "bad.jsonl:4: not a JSON object, kept as it is: not an object"));
	ck_assert_ptr_nonnull(strstr(logged.p, "bad.jsonl:5: not an issue, kept as it is"));
	ck_assert(t->lines[1].bad && t->lines[2].bad && t->lines[3].bad && t->lines[4].bad);
	ck_assert(!t->lines[5].bad && t->lines[5].issue == NULL); /* a memory record: kept, not work, not bad */
	r = render(t);
	ck_assert_str_eq(r, text);
	free(r);
	/* reloading, even with the bad lines moved around, says nothing new */
	ck_assert_int_eq(tracker_load(t, text, strlen(text), "bad.jsonl"), 0);
	ck_assert_int_eq(tracker_load(t, moved, strlen(moved), "bad.jsonl"), 0);
	ck_assert_int_eq(tracker_load(t, text, strlen(text), "bad.jsonl"), 0);
	ck_assert_int_eq(nwarn, 4);
	/* a new bad content is reported */
	ck_assert_int_eq(tracker_load(t, "{oops}\n", 7, "bad.jsonl"), 0);
	ck_assert_int_eq(nwarn, 5);
	ck_assert_int_eq(tracker_load(t, text, strlen(text), "bad.jsonl"), 0);
	ck_assert_int_eq(nwarn, 5);
	/* a patch elsewhere leaves them verbatim */
	buf_init(&out);
	tracker_apply(t, &p, 1, &out);
	ck_assert_int_eq(p.result, 0);
	ck_assert_str_eq(out.p, "{\"id\":\"g-1\",\"title\":\"good\"}\n"
				"not json at all\n"
				"{\"id\":\"g-2\",\"title\":\"cut off\n"
				"[1,2,3]\n"
				"{\"id\":5,\"title\":\"numeric id\"}\n"
				"{\"_type\":\"memory\",\"key\":\"k\",\"value\":\"v\"}\n"
				"{\"id\":\"g-3\",\"status\":\"open\",\"updated_at\":\"2026-01-01T00:00:00.000000000Z\"}\n");
	buf_free(&out);
	patch_free_fields(&p);
	tracker_free(t);
	capture_stop();
}
END_TEST

START_TEST(test_crlf)
{
	const char *text = "{\"id\":\"c-1\",\"status\":\"open\",\"updated_at\":\"2025-01-01T00:00:00Z\"}\r\n"
			   "\r\n"
			   "{\"id\":\"c-2\",\"status\":\"open\"}\r\n";
	struct tracker *t = load_text(text, "crlf.jsonl");
	struct patch p = mkpatch(PATCH_CLAIM, "c-1", NULL, ts("2026-01-01T00:00:00Z"));
	struct buf out;
	char *r = render(t);

	ck_assert(t->crlf);
	ck_assert_str_eq(r, text);
	ck_assert_str_eq(tracker_get(t, "c-2")->status, "open");
	buf_init(&out);
	tracker_apply(t, &p, 1, &out);
	ck_assert_int_eq(p.result, 0);
	ck_assert_str_eq(out.p, "{\"id\":\"c-1\",\"status\":\"in_progress\",\"updated_at\":\"2026-01-01T00:00:00Z\","
				"\"assignee\":\"yggd\",\"started_at\":\"2026-01-01T00:00:00Z\"}\r\n"
				"\r\n"
				"{\"id\":\"c-2\",\"status\":\"open\"}\r\n");
	free(r);
	buf_free(&out);
	patch_free_fields(&p);
	tracker_free(t);
}
END_TEST

static const struct {
	const char *text;
	size_t nlines;
	bool trailing;
} shape_cases[] = {
	{ "", 0, false },
	{ "\n", 1, true },
	{ "\n\n", 2, true },
	{ "{\"id\":\"a\"}", 1, false },
	{ "{\"id\":\"a\"}\n{\"id\":\"b\"}", 2, false },
	{ "{\"id\":\"a\"}\n\n   \n\t\n{\"id\":\"b\"}\n", 5, true },
	{ "  {\"id\":\"a\"}  \n", 1, true },
};

START_TEST(test_shapes)
{
	const char *text = shape_cases[_i].text;
	struct tracker *t;
	char *r;

	capture_start();
	t = load_text(text, "shape.jsonl");
	ck_assert_uint_eq(t->nlines, shape_cases[_i].nlines);
	ck_assert(t->trailing_newline == shape_cases[_i].trailing);
	ck_assert_int_eq(nwarn, 0); /* blank and whitespace lines are lines, not errors */
	r = render(t);
	ck_assert_str_eq(r, text);
	free(r);
	tracker_free(t);
	capture_stop();
}
END_TEST

START_TEST(test_no_final_newline_patch)
{
	const char *text = "{\"id\":\"n-1\"}\n{\"id\":\"n-2\",\"status\":\"closed\"}";
	struct tracker *t = load_text(text, "nonl.jsonl");
	struct patch p = mkpatch(PATCH_COMMENT, "n-2", "x", ts("2026-01-01T00:00:00Z"));
	struct buf out;

	buf_init(&out);
	tracker_apply(t, &p, 1, &out);
	ck_assert_int_eq(p.result, 0);
	ck_assert_str_eq(out.p, "{\"id\":\"n-1\"}\n{\"id\":\"n-2\",\"status\":\"closed\",\"updated_at\":"
				"\"2026-01-01T00:00:00.000000000Z\",\"comments\":[{\"id\":1,\"issue_id\":\"n-2\","
				"\"author\":\"yggd\",\"text\":\"x\",\"created_at\":\"2026-01-01T00:00:00.000000000Z\"}]}");
	buf_free(&out);
	patch_free_fields(&p);
	tracker_free(t);
}
END_TEST

START_TEST(test_big_line)
{
	size_t big = 10 * 1024 * 1024;
	struct buf text, out;
	struct tracker *t = tracker_new();
	struct patch p = mkpatch(PATCH_CLAIM, "big-1", NULL, ts("2026-01-01T00:00:00Z"));
	char *r;

	buf_init(&text);
	buf_adds(&text, "{\"id\":\"small\"}\n{\"id\":\"big-1\",\"title\":\"huge\",\"description\":\"");
	buf_reserve(&text, big + 64);
	for (size_t i = 0; i < big / 2; i++)
		buf_add(&text, i % 64 ? "ab" : "\\n", 2);
	buf_adds(&text, "\",\"status\":\"open\"}\n");
	ck_assert_int_eq(tracker_load(t, text.p, text.len, "big.jsonl"), 0);
	ck_assert_uint_eq(t->reparsed, 2);
	ck_assert_str_eq(tracker_get(t, "big-1")->title, "huge");
	ck_assert_uint_gt(strlen(tracker_get(t, "big-1")->description), big / 2);
	r = render(t);
	ck_assert(strlen(r) == text.len && memcmp(r, text.p, text.len) == 0);
	free(r);
	buf_init(&out);
	tracker_apply(t, &p, 1, &out);
	ck_assert_int_eq(p.result, 0);
	ck_assert_uint_eq(out.len, text.len + strlen("in_progress") - strlen("open") +
	    strlen(",\"assignee\":\"yggd\",\"started_at\":\"2026-01-01T00:00:00.000000000Z\",\"updated_at\":"
		   "\"2026-01-01T00:00:00.000000000Z\""));
	ck_assert_int_eq(tracker_load(t, out.p, out.len, "big.jsonl"), 0);
	ck_assert_uint_eq(t->reparsed, 0);
	buf_free(&out);
	buf_free(&text);
	patch_free_fields(&p);
	tracker_free(t);
}
END_TEST

/* ------------------------------------------------------------ re-parsing */

START_TEST(test_reparsed)
{
	const char *a = "{\"id\":\"r-1\"}\n{\"id\":\"r-2\"}\n{\"id\":\"r-3\"}\n";
	static const struct {
		const char *text;
		size_t reparsed;
		int gen_step;
	} steps[] = {
		{ "{\"id\":\"r-1\"}\n{\"id\":\"r-2\"}\n{\"id\":\"r-3\"}\n", 0, 0 },            /* unchanged */
		{ "{\"id\":\"r-1\"}\n{\"id\":\"r-2\",\"title\":\"x\"}\n{\"id\":\"r-3\"}\n", 1, 1 }, /* one edit */
		{ "{\"id\":\"r-3\"}\n{\"id\":\"r-1\"}\n{\"id\":\"r-2\",\"title\":\"x\"}\n", 0, 1 }, /* moved */
		{ "{\"id\":\"r-3\"}\n{\"id\":\"r-1\"}\n", 0, 1 },                               /* removed */
		{ "{\"id\":\"r-3\"}\n{\"id\":\"r-1\"}\n{\"id\":\"r-4\"}\n\n", 1, 1 },           /* added */
		{ "{\"id\":\"r-3\"}\n{\"id\":\"r-1\"}\n{\"id\":\"r-4\"}\n\n", 0, 0 },
		{ "{\"id\":\"r-1\"}\n{\"id\":\"r-1\"}\n", 1, 1 }, /* two equal lines: one reused, one parsed */
	};
	struct tracker *t = load_text(a, "re.jsonl");

	ck_assert_uint_eq(t->reparsed, 3);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		uint64_t gen = t->generation;
		ck_assert_int_eq(tracker_load(t, steps[i].text, strlen(steps[i].text), "re.jsonl"), 0);
		ck_assert_msg(t->reparsed == steps[i].reparsed, "step %zu: reparsed %zu", i, t->reparsed);
		ck_assert_msg(t->generation == gen + (uint64_t)steps[i].gen_step, "step %zu: generation", i);
		char *r = render(t);
		ck_assert_str_eq(r, steps[i].text);
		free(r);
	}
	ck_assert_str_eq(tracker_get(t, "r-1")->id, "r-1");
	ck_assert_ptr_null(tracker_get(t, "r-2"));
	tracker_free(t);
}
END_TEST

/* ------------------------------------------------------------ patch rules */

#define NOW "2026-01-01T00:00:00.123456789Z"

static const struct {
	enum patch_op op;
	const char *id;
	const char *reason, *comment;
	const char *in;
	int result;
	const char *out; /* "@TS@" stands for the new timestamp; NULL: unchanged */
} apply_cases[] = {
	{ PATCH_CLAIM, "t-1", NULL, NULL, "{\"id\":\"t-1\",\"status\":\"open\",\"updated_at\":\"2025-01-02T00:00:00.5Z\"}", 0,
	    "{\"id\":\"t-1\",\"status\":\"in_progress\",\"updated_at\":\"@TS@\",\"assignee\":\"yggd\",\"started_at\":\"@TS@\"}" },
	{ PATCH_CLAIM, "t-1", NULL, NULL,
	    "{\"id\":\"t-1\",\"status\":\"open\",\"started_at\":\"2024-01-01T00:00:00Z\",\"updated_at\":\"2025-01-02T00:00:00Z\"}", 0,
	    "{\"id\":\"t-1\",\"status\":\"in_progress\",\"started_at\":\"2024-01-01T00:00:00Z\",\"updated_at\":\"@TS@\","
	    "\"assignee\":\"yggd\"}" },
	{ PATCH_CLAIM, "t-1", NULL, NULL, "{\"id\":\"t-1\",\"updated_at\":\"2025-01-02T00:00:00Z\"}", 0, /* no status: open */
	    "{\"id\":\"t-1\",\"updated_at\":\"@TS@\",\"status\":\"in_progress\",\"assignee\":\"yggd\",\"started_at\":\"@TS@\"}" },
	{ PATCH_CLAIM, "t-1", NULL, NULL, "{\"id\":\"t-1\",\"status\":\"in_progress\"}", PATCH_CONFLICT, NULL },
	{ PATCH_CLAIM, "t-1", NULL, NULL, "{\"id\":\"t-1\",\"status\":\"closed\"}", PATCH_CONFLICT, NULL },
	{ PATCH_CLAIM, "t-1", NULL, NULL, "{\"id\":\"t-1\",\"status\":\"open\",\"assignee\":\"alice\"}", PATCH_CONFLICT, NULL },
	{ PATCH_CLAIM, "t-1", NULL, NULL, "{\"id\":\"t-1\",\"status\":\"open\",\"assignee\":\"yggd\",\"updated_at\":\"2025-01-02T00:00:00Z\"}",
	    0, "{\"id\":\"t-1\",\"status\":\"in_progress\",\"assignee\":\"yggd\",\"updated_at\":\"@TS@\",\"started_at\":\"@TS@\"}" },
	{ PATCH_CLAIM, "t-1", NULL, NULL, "{\"id\":\"t-1\",\"status\":\"open\",\"assignee\":\"\",\"updated_at\":\"2025-01-02T00:00:00Z\"}",
	    0, "{\"id\":\"t-1\",\"status\":\"in_progress\",\"assignee\":\"yggd\",\"updated_at\":\"@TS@\",\"started_at\":\"@TS@\"}" },
	{ PATCH_CLOSE, "t-1", "done <ok>", NULL,
	    "{\"id\":\"t-1\",\"status\":\"in_progress\",\"assignee\":\"yggd\",\"updated_at\":\"2025-01-02T00:00:00Z\"}", 0,
	    "{\"id\":\"t-1\",\"status\":\"closed\",\"assignee\":\"yggd\",\"updated_at\":\"@TS@\",\"closed_at\":\"@TS@\","
	    "\"close_reason\":\"done \\u003cok\\u003e\"}" },
	{ PATCH_CLOSE, "t-1", "x", NULL, "{\"id\":\"t-1\",\"status\":\"in_progress\",\"assignee\":\"alice\"}", PATCH_CONFLICT, NULL },
	{ PATCH_CLOSE, "t-1", "x", NULL, "{\"id\":\"t-1\",\"status\":\"in_progress\"}", PATCH_CONFLICT, NULL },
	{ PATCH_CLOSE, "t-1", "x", NULL, "{\"id\":\"t-1\",\"status\":\"open\",\"assignee\":\"yggd\"}", PATCH_CONFLICT, NULL },
	{ PATCH_BLOCK, "t-1", NULL, NULL,
	    "{\"id\":\"t-1\",\"status\":\"in_progress\",\"assignee\":\"yggd\",\"updated_at\":\"2025-01-02T00:00:00Z\"}", 0,
	    "{\"id\":\"t-1\",\"status\":\"blocked\",\"assignee\":\"yggd\",\"updated_at\":\"@TS@\"}" },
	{ PATCH_BLOCK, "t-1", NULL, NULL, "{\"id\":\"t-1\",\"status\":\"closed\",\"assignee\":\"yggd\"}", PATCH_CONFLICT, NULL },
	{ PATCH_REOPEN, "t-1", NULL, NULL,
	    "{\"id\":\"t-1\",\"status\":\"in_progress\",\"assignee\":\"yggd\",\"updated_at\":\"2025-01-02T00:00:00Z\"}", 0,
	    "{\"id\":\"t-1\",\"status\":\"open\",\"updated_at\":\"@TS@\"}" },
	{ PATCH_REOPEN, "t-1", NULL, NULL, "{\"id\":\"t-1\",\"status\":\"blocked\",\"assignee\":\"yggd\"}", PATCH_CONFLICT, NULL },
	{ PATCH_COMMENT, "t-1", NULL, "hi", "{\"id\":\"t-1\",\"status\":\"closed\",\"updated_at\":\"2025-01-02T00:00:00Z\"}", 0,
	    "{\"id\":\"t-1\",\"status\":\"closed\",\"updated_at\":\"@TS@\",\"comments\":[{\"id\":1,\"issue_id\":\"t-1\","
	    "\"author\":\"yggd\",\"text\":\"hi\",\"created_at\":\"@TS@\"}]}" },
	{ PATCH_BLOCK, "t-1", NULL, "timeout\tafter 3",
	    "{\"id\":\"t-1\",\"status\":\"in_progress\",\"assignee\":\"yggd\",\"comments\":[{\"id\":4,\"text\":\"a\"}],"
	    "\"updated_at\":\"2025-01-02T00:00:00Z\"}",
	    0,
	    "{\"id\":\"t-1\",\"status\":\"blocked\",\"assignee\":\"yggd\",\"comments\":[{\"id\":4,\"text\":\"a\"},{\"id\":5,"
	    "\"issue_id\":\"t-1\",\"author\":\"yggd\",\"text\":\"timeout\\tafter 3\",\"created_at\":\"@TS@\"}],"
	    "\"updated_at\":\"@TS@\"}" },
	{ PATCH_COMMENT, "t-1", NULL, "c", "{\"id\":\"t-1\",\"comments\":null,\"updated_at\":\"2025-01-02T00:00:00Z\"}", 0,
	    "{\"id\":\"t-1\",\"comments\":[{\"id\":1,\"issue_id\":\"t-1\",\"author\":\"yggd\",\"text\":\"c\",\"created_at\":\"@TS@\"}],"
	    "\"updated_at\":\"@TS@\"}" },
	{ PATCH_COMMENT, "nope", NULL, "c", "{\"id\":\"t-1\"}", PATCH_MISSING, NULL },
	/* updated_at in the future: the new one is still later */
	{ PATCH_BLOCK, "t-1", NULL, NULL,
	    "{\"id\":\"t-1\",\"status\":\"in_progress\",\"assignee\":\"yggd\",\"updated_at\":\"2030-01-01T00:00:00-07:00\"}", 0,
	    "{\"id\":\"t-1\",\"status\":\"blocked\",\"assignee\":\"yggd\",\"updated_at\":\"2030-01-01T00:00:01-07:00\"}" },
	/* no updated_at: the new stamps take created_at's style */
	{ PATCH_CLAIM, "t-1", NULL, NULL, "{\"id\":\"t-1\",\"created_at\":\"2025-01-01T00:00:00.000+02:00\"}", 0,
	    "{\"id\":\"t-1\",\"created_at\":\"2025-01-01T00:00:00.000+02:00\",\"status\":\"in_progress\",\"assignee\":\"yggd\","
	    "\"started_at\":\"2026-01-01T02:00:00.123+02:00\",\"updated_at\":\"2026-01-01T02:00:00.123+02:00\"}" },
};

START_TEST(test_apply_table)
{
	struct tracker *t;
	struct patch p;
	struct buf in, out, want;
	const struct issue *is;
	char stamp[64];
	int64_t now = ts(NOW);

	buf_init(&in);
	buf_printf(&in, "%s\n", apply_cases[_i].in);
	t = load_text(in.p, "apply.jsonl");
	is = tracker_get(t, "t-1");
	ck_assert_ptr_nonnull(is);
	char *old_updated = is->updated_at ? xstrdup(is->updated_at) : NULL;
	if (old_updated != NULL)
		time_after(old_updated, now, stamp, sizeof stamp);
	else
		time_format_like(now, is->created_at, stamp, sizeof stamp);

	p = mkpatch(apply_cases[_i].op, apply_cases[_i].id, apply_cases[_i].comment, now);
	p.reason = apply_cases[_i].reason ? xstrdup(apply_cases[_i].reason) : NULL;
	buf_init(&out);
	tracker_apply(t, &p, 1, &out);
	ck_assert_msg(p.result == apply_cases[_i].result, "case %d: result %d (%s)", _i, p.result, p.why ? p.why : "");
	ck_assert((p.result == 0) == (p.why == NULL));

	buf_init(&want);
	if (apply_cases[_i].out == NULL)
		buf_adds(&want, in.p);
	else {
		for (const char *s = apply_cases[_i].out; *s;) {
			if (strncmp(s, "@TS@", 4) == 0) {
				buf_adds(&want, stamp);
				s += 4;
			} else
				buf_addc(&want, *s++);
		}
		buf_addc(&want, '\n');
	}
	ck_assert_msg(strcmp(out.p, want.p) == 0, "case %d:\n got %s\nwant %s", _i, out.p, want.p);
	if (p.result == 0 && old_updated != NULL)
		ck_assert(ts(tracker_get(t, "t-1")->updated_at) > ts(old_updated));
	/* the tracker holds what it wrote */
	uint64_t gen = t->generation;
	ck_assert_int_eq(tracker_load(t, out.p, out.len, "apply.jsonl"), 0);
	ck_assert_uint_eq(t->reparsed, 0);
	ck_assert_uint_eq(t->generation, gen);

	free(old_updated);
	buf_free(&in);
	buf_free(&out);
	buf_free(&want);
	patch_free_fields(&p);
	tracker_free(t);
}
END_TEST

/* Several patches in one rewrite, in order, each against the result of the last. */
START_TEST(test_apply_batch)
{
	const char *text = "{\"id\":\"b-1\",\"status\":\"open\",\"comments\":[{\"id\":7}]}\n"
			   "{\"id\":\"b-2\",\"status\":\"open\"}\n";
	struct tracker *t = load_text(text, "batch.jsonl");
	int64_t now = ts("2026-01-01T00:00:00Z");
	struct patch p[4] = {
		mkpatch(PATCH_CLAIM, "b-1", NULL, now),
		mkpatch(PATCH_CLAIM, "b-1", NULL, now), /* already ours and in progress: conflict */
		mkpatch(PATCH_CLOSE, "b-1", NULL, now),
		mkpatch(PATCH_COMMENT, "b-2", "note", now),
	};
	struct buf out;

	p[1].assignee[0] = 'Y';
	p[2].reason = xstrdup("done");
	buf_init(&out);
	tracker_apply(t, p, 4, &out);
	ck_assert_int_eq(p[0].result, 0);
	ck_assert_int_eq(p[1].result, PATCH_CONFLICT);
	ck_assert_int_eq(p[2].result, 0);
	ck_assert_int_eq(p[3].result, 0);
	ck_assert_str_eq(tracker_get(t, "b-1")->status, "closed");
	/* the file's highest comment id was 7 */
	ck_assert_ptr_nonnull(strstr(out.p, "\"comments\":[{\"id\":8,\"issue_id\":\"b-2\""));
	ck_assert_ptr_nonnull(strstr(out.p, "\"close_reason\":\"done\""));
	ck_assert_ptr_nonnull(strstr(out.p, "{\"id\":\"b-1\",\"status\":\"closed\",\"comments\":[{\"id\":7}],"));
	for (int i = 0; i < 4; i++)
		patch_free_fields(&p[i]);
	buf_free(&out);
	tracker_free(t);
}
END_TEST

static const struct {
	const char *text;
	bool string_id;
	long long want; /* integer id expected */
} cid_cases[] = {
	{ "{\"id\":\"x-1\"}\n", false, 1 },
	{ "{\"id\":\"x-1\"}\n{\"id\":\"x-2\",\"comments\":[{\"id\":41},{\"id\":3}]}\n", false, 42 },
	{ "{\"id\":\"x-1\",\"comments\":[]}\n{\"id\":\"x-2\",\"comments\":[{\"id\":\"019eedff-99df-7363-9cd5-b12d9493d469\"}]}\n", true, 0 },
	{ "{\"id\":\"x-1\",\"comments\":[{\"id\":2}]}\n{\"id\":\"x-2\",\"comments\":[{\"id\":\"019eedff-99df-7363-9cd5-b12d9493d469\"}]}\n",
	    true, 0 },
};

START_TEST(test_comment_ids)
{
	struct tracker *t = load_text(cid_cases[_i].text, "cid.jsonl");
	struct patch p = mkpatch(PATCH_COMMENT, "x-1", "hello", ts("2026-03-04T05:06:07.5Z"));
	struct buf out;
	const char *at;

	buf_init(&out);
	tracker_apply(t, &p, 1, &out);
	ck_assert_int_eq(p.result, 0);
	at = strstr(out.p, ",\"issue_id\":\"x-1\",\"author\":\"yggd\",\"text\":\"hello\"");
	ck_assert_ptr_nonnull(at);
	if (cid_cases[_i].string_id) {
		/* {"id":"xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx", a UUID v7 whose time is now */
		ck_assert(at - out.p > 44 && at[-1] == '"' && at[-38] == '"');
		const char *u = at - 37;
		ck_assert(u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
		ck_assert(u[14] == '7' && strchr("89ab", u[19]) != NULL);
		char ms[13];
		snprintf(ms, sizeof ms, "%012llx", (unsigned long long)(ts("2026-03-04T05:06:07.5Z") / 1000000));
		ck_assert(memcmp(u, ms, 8) == 0 && memcmp(u + 9, ms + 8, 4) == 0);
	} else {
		char want[64];
		snprintf(want, sizeof want, "{\"id\":%lld", cid_cases[_i].want);
		ck_assert(memcmp(at - strlen(want), want, strlen(want)) == 0);
	}
	buf_free(&out);
	patch_free_fields(&p);
	tracker_free(t);
}
END_TEST

/* ------------------------------------------------------------ issue fields */

static const struct {
	const char *line;
	int rc;
	const char *status, *issue_type, *assignee;
	int priority;
	bool pinned, ephemeral;
	size_t nlabels, ndeps;
	int deptype0;
	int64_t max_cid;
	bool cid_int, cid_str;
} issue_cases[] = {
	{ "{\"id\":\"a\"}", 0, "open", "task", NULL, 2, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"status\":\"\",\"issue_type\":\"\",\"assignee\":\"\"}", 0, "open", "task", NULL, 2, false, false, 0,
	    0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"priority\":0}", 0, "open", "task", NULL, 0, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"priority\":1.0}", 0, "open", "task", NULL, 1, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"priority\":3e0}", 0, "open", "task", NULL, 3, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"priority\":\"3\"}", 0, "open", "task", NULL, 3, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"priority\":1.5}", 0, "open", "task", NULL, 2, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"priority\":null}", 0, "open", "task", NULL, 2, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"priority\":\"high\"}", 0, "open", "task", NULL, 2, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"priority\":1,\"priority\":4}", 0, "open", "task", NULL, 4, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"status\":\"pinned\"}", 0, "pinned", "task", NULL, 2, true, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"pinned\":true,\"ephemeral\":true}", 0, "open", "task", NULL, 2, true, true, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"pinned\":false,\"ephemeral\":\"yes\"}", 0, "open", "task", NULL, 2, false, false, 0, 0, -1, 0, false,
	    false },
	{ "{\"id\":\"a\",\"status\":\"in_progress\",\"issue_type\":\"bug\",\"assignee\":\"bo\"}", 0, "in_progress", "bug", "bo", 2,
	    false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"labels\":[\"x\",1,\"ygg:reasoning\",null]}", 0, "open", "task", NULL, 2, false, false, 2, 0, -1, 0,
	    false, false },
	{ "{\"id\":\"a\",\"dependencies\":[{\"issue_id\":\"a\",\"depends_on_id\":\"b\"}]}", 0, "open", "task", NULL, 2, false,
	    false, 0, 1, DEP_BLOCKS, 0, false, false },
	{ "{\"id\":\"a\",\"dependencies\":[{\"issue_id\":\"a\",\"depends_on_id\":\"b\",\"type\":\"\"}]}", 0, "open", "task", NULL,
	    2, false, false, 0, 1, DEP_BLOCKS, 0, false, false },
	{ "{\"dependencies\":[{\"depends_on_id\":\"b\",\"type\":\"parent-child\"}],\"id\":\"a\"}", 0, "open", "task", NULL, 2,
	    false, false, 0, 1, DEP_PARENT_CHILD, 0, false, false },
	{ "{\"id\":\"a\",\"dependencies\":[{\"issue_id\":\"a\",\"depends_on_id\":\"b\",\"type\":\"conditional-blocks\"}]}", 0,
	    "open", "task", NULL, 2, false, false, 0, 1, DEP_CONDITIONAL_BLOCKS, 0, false, false },
	{ "{\"id\":\"a\",\"dependencies\":[{\"issue_id\":\"a\",\"depends_on_id\":\"b\",\"type\":\"related\"},"
	  "{\"issue_id\":\"a\",\"depends_on_id\":\"c\",\"type\":\"waits-for\"}]}",
	    0, "open", "task", NULL, 2, false, false, 0, 2, DEP_OTHER, 0, false, false },
	{ "{\"id\":\"a\",\"dependencies\":[{\"issue_id\":\"z\",\"depends_on_id\":\"a\",\"type\":\"blocks\"},"
	  "{\"issue_id\":\"a\",\"depends_on_id\":\"\"},{\"issue_id\":\"a\"},7]}",
	    0, "open", "task", NULL, 2, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"comments\":[{\"id\":3},{\"id\":12},{\"id\":5}]}", 0, "open", "task", NULL, 2, false, false, 0, 0, -1,
	    12, true, false },
	{ "{\"id\":\"a\",\"comments\":[{\"id\":\"019eedff-99df-7363-9cd5-b12d9493d469\"}]}", 0, "open", "task", NULL, 2, false,
	    false, 0, 0, -1, 0, false, true },
	{ "{\"id\":\"a\",\"_type\":\"issue\"}", 0, "open", "task", NULL, 2, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"a\",\"_type\":null}", 0, "open", "task", NULL, 2, false, false, 0, 0, -1, 0, false, false },
	{ "{\"_type\":\"memory\",\"key\":\"k\"}", 1, NULL, NULL, NULL, 0, false, false, 0, 0, -1, 0, false, false },
	{ "{\"_type\":\"memory\",\"id\":\"m-1\"}", 1, NULL, NULL, NULL, 0, false, false, 0, 0, -1, 0, false, false },
	{ "{\"title\":\"no id\"}", 1, NULL, NULL, NULL, 0, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":\"\"}", 1, NULL, NULL, NULL, 0, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":null}", 1, NULL, NULL, NULL, 0, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":12}", -1, NULL, NULL, NULL, 0, false, false, 0, 0, -1, 0, false, false },
	{ "{\"id\":[\"a\"]}", -1, NULL, NULL, NULL, 0, false, false, 0, 0, -1, 0, false, false },
};

START_TEST(test_issue_table)
{
	struct json_line jl = { 0 };
	struct issue *is = NULL, *ji = NULL;
	struct json_object *obj;
	const char *line = issue_cases[_i].line;

	ck_assert_int_eq(json_line_scan(&jl, line, strlen(line)), 0);
	ck_assert_int_eq(issue_from_line(&jl, &is), issue_cases[_i].rc);
	obj = json_tokener_parse(line);
	ck_assert_int_eq(issue_from_json(obj, &ji), issue_cases[_i].rc);
	if (issue_cases[_i].rc != 0) {
		ck_assert_ptr_null(is);
		ck_assert_ptr_null(ji);
	} else {
		ck_assert_str_eq(is->id, "a");
		ck_assert_str_eq(is->status, issue_cases[_i].status);
		ck_assert_str_eq(is->issue_type, issue_cases[_i].issue_type);
		ck_assert(streq_null(is->assignee, issue_cases[_i].assignee));
		ck_assert_int_eq(is->priority, issue_cases[_i].priority);
		ck_assert(is->pinned == issue_cases[_i].pinned && is->ephemeral == issue_cases[_i].ephemeral);
		ck_assert_uint_eq(is->nlabels, issue_cases[_i].nlabels);
		ck_assert_uint_eq(is->ndeps, issue_cases[_i].ndeps);
		if (is->ndeps > 0)
			ck_assert_int_eq(is->deps[0].type, issue_cases[_i].deptype0);
		ck_assert_int_eq(is->max_comment_id, issue_cases[_i].max_cid);
		ck_assert(is->comment_ids_int == issue_cases[_i].cid_int && is->comment_ids_str == issue_cases[_i].cid_str);
		assert_same_issue(is, ji, line);
	}
	issue_free(is);
	issue_free(ji);
	issue_free(NULL);
	json_object_put(obj);
	json_line_free(&jl);
}
END_TEST

START_TEST(test_issue_text_fields)
{
	const char *line = "{\"id\":\"s-\\u0031\",\"title\":\"caf\\u00e9 \\ud83d\\ude00\",\"description\":\"a\\nb\","
			   "\"design\":\"d\",\"acceptance_criteria\":\"ac\",\"notes\":\"n\",\"labels\":[\"ygg:code-generation\"],"
			   "\"created_at\":\"2025-12-23T10:11:12.5-08:00\",\"updated_at\":\"2025-12-24T00:00:00Z\","
			   "\"defer_until\":\"2026-02-01T00:00:00Z\"}";
	struct json_line jl = { 0 };
	struct issue *is;

	ck_assert_int_eq(json_line_scan(&jl, line, strlen(line)), 0);
	ck_assert_int_eq(issue_from_line(&jl, &is), 0);
	ck_assert_str_eq(is->id, "s-1");
	ck_assert_str_eq(is->title, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	ck_assert_str_eq(is->description, "a\nb");
	ck_assert_str_eq(is->design, "d");
	ck_assert_str_eq(is->acceptance_criteria, "ac");
	ck_assert_str_eq(is->notes, "n");
	ck_assert_str_eq(is->created_at, "2025-12-23T10:11:12.5-08:00");
	ck_assert_int_eq(is->created_ns, ts("2025-12-23T18:11:12.5Z"));
	ck_assert_int_eq(is->defer_ns, ts("2026-02-01T00:00:00Z"));
	ck_assert(issue_has_label(is, "ygg:code-generation"));
	ck_assert(!issue_has_label(is, "ygg:code"));
	issue_free(is);
	json_line_free(&jl);
}
END_TEST

Suite *
tracker_suite(void)
{
	Suite *s = suite_create("tracker");
	TCase *tc = tcase_create("core");

	corpus_list();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_corpus_present);
	tcase_add_loop_test(tc, test_corpus_file, 0, (int)ncorpus);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_bad_lines);
	tcase_add_test(tc, test_crlf);
	tcase_add_loop_test(tc, test_shapes, 0, sizeof shape_cases / sizeof shape_cases[0]);
	tcase_add_test(tc, test_no_final_newline_patch);
	tcase_add_test(tc, test_big_line);
	tcase_add_test(tc, test_reparsed);
	tcase_add_loop_test(tc, test_apply_table, 0, sizeof apply_cases / sizeof apply_cases[0]);
	tcase_add_test(tc, test_apply_batch);
	tcase_add_loop_test(tc, test_comment_ids, 0, sizeof cid_cases / sizeof cid_cases[0]);
	tcase_add_loop_test(tc, test_issue_table, 0, sizeof issue_cases / sizeof issue_cases[0]);
	tcase_add_test(tc, test_issue_text_fields);
	suite_add_tcase(s, tc);
	return s;
}
