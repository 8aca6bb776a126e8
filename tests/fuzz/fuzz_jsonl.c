/*
 * fuzz_jsonl.c - libFuzzer target for the JSONL line model. Any bytes, taken
 * as one line and as a whole file, must:
 *  - scan as an object or fail with a reason, never crash or read past the end;
 *  - when they scan: give an issue or not, decode every string member, and take
 *    a patch whose result scans again with the untouched members byte for byte;
 *  - as a file: load, render back to the same bytes, take a comment patch, and
 *    read back what it wrote with nothing to re-parse; the ready rules run on it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

static const char *const edited[] = { "status", "assignee", "yggd_fuzz", "comments" };

static bool
is_edited(const struct json_member *m)
{
	for (size_t i = 0; i < sizeof edited / sizeof edited[0]; i++)
		if (json_key_eq(m->key, m->key_len, edited[i]))
			return true;
	return false;
}

static void
one_line(const char *text, size_t len)
{
	struct json_line jl = { 0 }, again = { 0 };
	struct issue *is = NULL;
	struct buf out, dec, comments;

	if (json_line_scan(&jl, text, len) == -1) {
		if (jl.error == NULL || jl.error_at > len || jl.n != 0)
			abort();
		json_line_free(&jl);
		return;
	}
	for (size_t i = 0; i < jl.n; i++) {
		const struct json_member *m = &jl.m[i];
		if (m->key < text || m->val + m->val_len > text + len || m->key + m->key_len > m->val)
			abort();
		buf_init(&dec);
		if (m->val_len > 0 && m->val[0] == '"' && json_string_decode(m->val, m->val_len, &dec) == -1)
			abort(); /* a string the scanner took must decode */
		buf_free(&dec);
	}
	if (issue_from_line(&jl, &is) == 0 && (is == NULL || is->id == NULL || is->status == NULL || is->issue_type == NULL))
		abort();
	issue_free(is);

	buf_init(&comments);
	const struct json_member *c = json_line_get(&jl, "comments");
	if (c != NULL)
		json_array_append(c->val, c->val_len, "{\"id\":1}", 8, &comments);
	else
		buf_adds(&comments, "[]");
	struct json_edit e[] = {
		{ "status", "\"in_progress\"" },
		{ "assignee", NULL },
		{ "yggd_fuzz", "[1,{\"a\":null},\"\\u003c\"]" },
		{ "comments", comments.p },
	};
	buf_init(&out);
	json_line_patch(&jl, e, 4, &out);
	if (json_line_scan(&again, out.p, out.len) == -1)
		abort();
	const struct json_member *s = json_line_get(&again, "status");
	if (s == NULL || s->val_len != 13 || memcmp(s->val, "\"in_progress\"", 13) != 0)
		abort();
	if (json_line_get(&again, "assignee") != NULL || json_line_get(&again, "yggd_fuzz") == NULL)
		abort();
	/* every member the patch did not name is still there, byte for byte */
	for (size_t i = 0; i < jl.n; i++) {
		const struct json_member *m = &jl.m[i];
		if (is_edited(m))
			continue;
		const char *start = m->key - 1, *end = m->val + m->val_len;
		if (memmem(out.p, out.len, start, (size_t)(end - start)) == NULL)
			abort();
	}
	buf_free(&out);
	buf_free(&comments);
	json_line_free(&jl);
	json_line_free(&again);
}

static void
whole_file(const char *text, size_t len)
{
	struct tracker *t = tracker_new();
	const struct issue **all, **ready;
	struct buf r, out;
	size_t n;

	tracker_load(t, text, len, "fuzz.jsonl");
	buf_init(&r);
	tracker_render(t, &r);
	if (r.len != len || (len > 0 && memcmp(r.p, text, len) != 0))
		abort();
	buf_free(&r);

	n = tracker_issues(t, &all);
	for (int sort = SORT_PRIORITY; sort <= SORT_HYBRID; sort++) {
		size_t nr = ready_compute(all, n, INT64_C(1767225600000000000), (enum sort_kind)sort, &ready);
		if (nr > n)
			abort();
		free(ready);
	}
	if (n > 0) {
		struct patch p = { 0 };
		p.op = PATCH_COMMENT;
		p.id = xstrdup(all[0]->id);
		p.comment = xstrdup("fuzz <comment>\n");
		p.now = INT64_C(1767225600000000000);
		buf_init(&out);
		tracker_apply(t, &p, 1, &out);
		if (p.result != 0 && p.result != PATCH_CONFLICT)
			abort();
		uint64_t gen = t->generation;
		tracker_load(t, out.p, out.len, "fuzz.jsonl");
		if (t->reparsed != 0 || t->generation != gen)
			abort();
		buf_free(&out);
		patch_free_fields(&p);
	}
	tracker_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;

	if (!quiet) {
		log_set_level(LOG_LVL_ERROR); /* bad lines are the point here, not news */
		quiet = true;
	}
	one_line((const char *)data, size);
	whole_file((const char *)data, size);
	return 0;
}
