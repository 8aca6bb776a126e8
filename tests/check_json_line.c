/*
 * check_json_line.c - the lossless line scanner: what it accepts and refuses,
 * the spans it records, string decoding, patches (byte-exact) and array appends.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ygg.h"

/* ------------------------------------------------------------ validation */

static const struct {
	const char *line;
	size_t len; /* 0: strlen */
	int rc;
	size_t members;
} scan_cases[] = {
	{ "{}", 0, 0, 0 },
	{ " \t{ }\t ", 0, 0, 0 },
	{ "{\"a\":1}", 0, 0, 1 },
	{ "{\"a\":1}\r", 0, 0, 1 },
	{ "{ \"a\" : 1 , \"b\" : 2 }", 0, 0, 2 },
	{ "{\"a\":-0.5e+10,\"b\":[1,2,{\"c\":null}],\"d\":true,\"e\":false,\"f\":\"x\\\"y\\\\\\u00e9\\ud83d\\ude00\"}", 0, 0,
	    5 },
	{ "{\"a\":{\"b\":{\"c\":[[[]],{}]}}}", 0, 0, 1 },
	{ "{\"k\":\"\\u003cb\\u003e \\/ \\b\\f\\n\\r\\t\"}", 0, 0, 1 },
	{ "{\"a\":1,\"a\":2}", 0, 0, 2 },
	{ "{\"a\":0,\"b\":-0,\"c\":1E5,\"d\":1e-5,\"e\":12.50}", 0, 0, 5 },
	{ "{\"a\":\"\xff\xfe\"}", 0, 0, 1 },            /* bytes >= 0x80 as Go takes them */
	{ "{\"\":\"\"}", 0, 0, 1 },
	{ "{\"a\":[ ],\"b\":{ }}", 0, 0, 2 },
	{ "", 0, -1, 0 },
	{ "   ", 0, -1, 0 },
	{ "[]", 0, -1, 0 },
	{ "\"a\"", 0, -1, 0 },
	{ "1", 0, -1, 0 },
	{ "{\"a\":1,}", 0, -1, 0 },
	{ "{,}", 0, -1, 0 },
	{ "{\"a\":1", 0, -1, 0 },
	{ "{\"a\":01}", 0, -1, 0 },
	{ "{\"a\":1.}", 0, -1, 0 },
	{ "{\"a\":.5}", 0, -1, 0 },
	{ "{\"a\":+1}", 0, -1, 0 },
	{ "{\"a\":1e}", 0, -1, 0 },
	{ "{\"a\":-}", 0, -1, 0 },
	{ "{\"a\":NaN}", 0, -1, 0 },
	{ "{\"a\":\"\x01\"}", 0, -1, 0 },
	{ "{\"a\":\"\t\"}", 0, -1, 0 },
	{ "{\"a\":\"\\q\"}", 0, -1, 0 },
	{ "{\"a\":\"\\u12\"}", 0, -1, 0 },
	{ "{\"a\":\"\\u12g4\"}", 0, -1, 0 },
	{ "{\"a\":tru}", 0, -1, 0 },
	{ "{\"a\":nul}", 0, -1, 0 },
	{ "{\"a\":1} x", 0, -1, 0 },
	{ "{\"a\":1}{\"b\":2}", 0, -1, 0 },
	{ "{'a':1}", 0, -1, 0 },
	{ "{a:1}", 0, -1, 0 },
	{ "{\"a\":[1,2}", 0, -1, 0 },
	{ "{\"a\":{\"b\":1]}", 0, -1, 0 },
	{ "{\"a\":[1 2]}", 0, -1, 0 },
	{ "{\"a\":1,\"b\"}", 0, -1, 0 },
	{ "{\"a\" 1}", 0, -1, 0 },
	{ "{\"a\":\"x", 0, -1, 0 },
	{ "{\"a\":\"x\\", 0, -1, 0 },
	{ "{\"a\":1}\0", 8, -1, 0 },
	{ "{\"a\":\"x\0y\"}", 11, -1, 0 },
	{ "\xef\xbb\xbf{}", 0, -1, 0 }, /* a BOM: Go refuses it too */
	{ "{\"a\":[1,]}", 0, -1, 0 },
	{ "{\"a\":{\"b\":1,}}", 0, -1, 0 },
	{ "{\"a\":{1:2}}", 0, -1, 0 },
};

START_TEST(test_scan_table)
{
	const char *line = scan_cases[_i].line;
	size_t len = scan_cases[_i].len ? scan_cases[_i].len : strlen(line);
	struct json_line jl = { 0 };
	int rc = json_line_scan(&jl, line, len);

	ck_assert_msg(rc == scan_cases[_i].rc, "case %d \"%s\": rc %d (%s)", _i, line, rc, jl.error ? jl.error : "");
	if (rc == 0) {
		ck_assert_uint_eq(jl.n, scan_cases[_i].members);
		ck_assert_ptr_null(jl.error);
	} else {
		ck_assert_ptr_nonnull(jl.error);
		ck_assert_uint_le(jl.error_at, len);
		ck_assert_uint_eq(jl.n, 0);
	}
	json_line_free(&jl);
}
END_TEST

START_TEST(test_scan_spans)
{
	const char *line = " {\"id\":\"x-1\", \"n\" : [1, 2] ,\"o\":{\"a\":\"b\"},\"e\\\"k\":null}\r";
	struct json_line jl = { 0 };
	static const char *const keys[] = { "id", "n", "o", "e\\\"k" };
	static const char *const vals[] = { "\"x-1\"", "[1, 2]", "{\"a\":\"b\"}", "null" };

	ck_assert_int_eq(json_line_scan(&jl, line, strlen(line)), 0);
	ck_assert_uint_eq(jl.n, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(jl.m[i].key_len, strlen(keys[i]));
		ck_assert(memcmp(jl.m[i].key, keys[i], jl.m[i].key_len) == 0);
		ck_assert_uint_eq(jl.m[i].val_len, strlen(vals[i]));
		ck_assert(memcmp(jl.m[i].val, vals[i], jl.m[i].val_len) == 0);
		/* spans point into the line, not at copies */
		ck_assert(jl.m[i].key > line && jl.m[i].val < line + strlen(line));
	}
	ck_assert_ptr_eq(json_line_get(&jl, "o"), &jl.m[2]);
	ck_assert_ptr_eq(json_line_get(&jl, "e\"k"), &jl.m[3]);
	ck_assert_ptr_null(json_line_get(&jl, "missing"));
	/* scanning again reuses the struct */
	ck_assert_int_eq(json_line_scan(&jl, "{\"z\":0}", 7), 0);
	ck_assert_uint_eq(jl.n, 1);
	ck_assert_ptr_null(json_line_get(&jl, "id"));
	json_line_free(&jl);
	json_line_free(&jl);
	json_line_free(NULL);
}
END_TEST

START_TEST(test_get_last_and_escaped_keys)
{
	const char *line = "{\"status\":\"open\",\"st\\u0061tus\":\"closed\",\"x\":1}";
	struct json_line jl = { 0 };
	const struct json_member *m;

	ck_assert_int_eq(json_line_scan(&jl, line, strlen(line)), 0);
	m = json_line_get(&jl, "status");
	ck_assert_ptr_nonnull(m);
	ck_assert(m->val_len == 8 && memcmp(m->val, "\"closed\"", 8) == 0);
	ck_assert(json_key_eq("st\\u0061tus", 11, "status"));
	ck_assert(!json_key_eq("st\\u0061tus", 11, "stat"));
	ck_assert(!json_key_eq("status", 6, "statu"));
	json_line_free(&jl);
}
END_TEST

/* Nesting costs heap, not C stack; past Go's 10000 levels the line is refused. */
static char *
nested(size_t depth, bool valid)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "{\"a\":");
	for (size_t i = 0; i < depth; i++)
		buf_addc(&b, i % 2 ? '[' : '{'), i % 2 ? (void)0 : buf_adds(&b, "\"k\":");
	buf_adds(&b, "1");
	for (size_t i = depth; i-- > 0;)
		buf_addc(&b, i % 2 ? ']' : '}');
	buf_adds(&b, valid ? "}" : "");
	return buf_steal(&b);
}

START_TEST(test_scan_depth)
{
	struct json_line jl = { 0 };
	char *ok = nested(9990, true), *deep = nested(20000, true), *cut = nested(5000, false);
	struct buf open;

	ck_assert_int_eq(json_line_scan(&jl, ok, strlen(ok)), 0);
	ck_assert_int_eq(json_line_scan(&jl, deep, strlen(deep)), -1);
	ck_assert_str_eq(jl.error, "nested deeper than 10000 levels");
	ck_assert_int_eq(json_line_scan(&jl, cut, strlen(cut)), -1);
	/* a million open brackets: refused at the limit without reading on */
	buf_init(&open);
	buf_adds(&open, "{\"a\":");
	for (int i = 0; i < 1000000; i++)
		buf_addc(&open, '[');
	ck_assert_int_eq(json_line_scan(&jl, open.p, open.len), -1);
	ck_assert_uint_lt(jl.error_at, 20000);
	buf_free(&open);
	free(ok);
	free(deep);
	free(cut);
	json_line_free(&jl);
}
END_TEST

/* ---------------------------------------------------------------- decode */

static const struct {
	const char *lit;
	int rc;
	const char *want;
	size_t want_len; /* 0: strlen */
} decode_cases[] = {
	{ "\"abc\"", 0, "abc", 0 },
	{ "\"\"", 0, "", 0 },
	{ "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", 0, "a\"b\\c/d\b\f\n\r\t", 0 },
	{ "\"\\u00e9t\\u00C9\"", 0, "\xc3\xa9t\xc3\x89", 0 },
	{ "\"\\u20ac\"", 0, "\xe2\x82\xac", 0 },
	{ "\"\\ud83d\\ude00\"", 0, "\xf0\x9f\x98\x80", 0 },
	{ "\"\\ud83d\"", 0, "\xef\xbf\xbd", 0 },
	{ "\"\\ude00\"", 0, "\xef\xbf\xbd", 0 },
	{ "\"\\ud83dx\"", 0, "\xef\xbf\xbdx", 0 },
	{ "\"\\ud83d\\u0041\"", 0, "\xef\xbf\xbd" "A", 0 },
	{ "\"\\ud83d\\ud83d\\ude00\"", 0, "\xef\xbf\xbd\xf0\x9f\x98\x80", 0 },
	{ "\"\\u003cb\\u003e \\u0026\"", 0, "<b> &", 0 },
	{ "\"\xc3\xa9\xe2\x82\xac\"", 0, "\xc3\xa9\xe2\x82\xac", 0 },
	{ "\"\xff" "a\"", 0, "\xef\xbf\xbd" "a", 0 },
	{ "\"\xe2\x82\"", 0, "\xef\xbf\xbd\xef\xbf\xbd", 0 },
	{ "\"\\u0000\"", 0, "\0", 1 },
	{ "abc", -1, NULL, 0 },
	{ "\"a", -1, NULL, 0 },
	{ "\"", -1, NULL, 0 },
	{ "\"\\x\"", -1, NULL, 0 },
	{ "\"a\"b\"", -1, NULL, 0 },
	{ "\"\\u12\"", -1, NULL, 0 },
	{ "\"a\\\"", -1, NULL, 0 },
	{ "\"\x01\"", -1, NULL, 0 },
};

START_TEST(test_decode_table)
{
	struct buf b;
	size_t want_len;

	buf_init(&b);
	buf_adds(&b, "keep:");
	int rc = json_string_decode(decode_cases[_i].lit, strlen(decode_cases[_i].lit), &b);
	ck_assert_msg(rc == decode_cases[_i].rc, "case %d: rc %d", _i, rc);
	if (rc == 0) {
		want_len = decode_cases[_i].want_len ? decode_cases[_i].want_len : strlen(decode_cases[_i].want);
		ck_assert_uint_eq(b.len, 5 + want_len);
		ck_assert_msg(memcmp(b.p + 5, decode_cases[_i].want, want_len) == 0, "case %d: got \"%s\"", _i, b.p);
	} else
		ck_assert_str_eq(b.p, "keep:"); /* a failed decode leaves out as it was */
	buf_free(&b);
}
END_TEST

/* ----------------------------------------------------------------- patch */

static const struct {
	const char *line;
	struct json_edit edits[3];
	size_t nedits;
	const char *want;
} patch_cases[] = {
	{ "{\"id\":\"a\",\"status\":\"open\"}", { { "status", "\"closed\"" } }, 1, "{\"id\":\"a\",\"status\":\"closed\"}" },
	{ "{\"id\":\"a\"}", { { "x", "1" } }, 1, "{\"id\":\"a\",\"x\":1}" },
	{ "{}", { { "x", "1" } }, 1, "{\"x\":1}" },
	{ "{ }", { { "x", "1" } }, 1, "{ \"x\":1}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", { { "b", NULL } }, 1, "{\"a\":1,\"c\":3}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", { { "a", NULL } }, 1, "{\"b\":2,\"c\":3}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", { { "c", NULL } }, 1, "{\"a\":1,\"b\":2}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", { { "a", NULL }, { "c", NULL } }, 2, "{\"b\":2}" },
	{ "{\"a\":1,\"b\":2,\"c\":3}", { { "b", NULL }, { "c", NULL } }, 2, "{\"a\":1}" },
	{ "{\"a\":1}", { { "a", NULL } }, 1, "{}" },
	{ "{\"a\":1}", { { "a", NULL }, { "x", "\"y\"" } }, 2, "{\"x\":\"y\"}" },
	{ "{ \"a\" : 1 , \"b\" : 2 }", { { "b", "3" } }, 1, "{ \"a\" : 1 , \"b\" : 3 }" },
	{ "{ \"a\" : 1 , \"b\" : 2 }", { { "x", "1" } }, 1, "{ \"a\" : 1 , \"b\" : 2 ,\"x\":1}" },
	{ "{ \"a\" : 1 , \"b\" : 2 }", { { "a", NULL } }, 1, "{ \"b\" : 2 }" },
	{ "{\"title\":\"a \\u003c b\",\"status\":\"open\",\"x\":\"\\u0026\"}", { { "status", "\"in_progress\"" } }, 1,
	    "{\"title\":\"a \\u003c b\",\"status\":\"in_progress\",\"x\":\"\\u0026\"}" },
	{ "{\"s\":1,\"s\":2}", { { "s", "3" } }, 1, "{\"s\":1,\"s\":3}" },
	{ "{\"s\":1,\"t\":0,\"s\":2}", { { "s", NULL } }, 1, "{\"t\":0}" },
	{ "{\"a\":1}\r", { { "b", "2" } }, 1, "{\"a\":1,\"b\":2}\r" },
	{ "  {\"a\":1}  ", { { "a", "[1,2]" } }, 1, "  {\"a\":[1,2]}  " },
	{ "{\"a\":1}", { { "zz", NULL } }, 1, "{\"a\":1}" },
	{ "{\"a\":1}", { { "a", "2" }, { "a", "3" } }, 2, "{\"a\":3}" },
	{ "{\"a\":1}", { { "x", "2" }, { "x", "3" } }, 2, "{\"a\":1,\"x\":3}" },
	{ "{\"a\":1}", { { "a\"b<", "2" } }, 1, "{\"a\":1,\"a\\\"b\\u003c\":2}" },
	{ "{\"st\\u0061tus\":\"open\"}", { { "status", "\"closed\"" } }, 1, "{\"st\\u0061tus\":\"closed\"}" },
	{ "{\"a\":{\"status\":1},\"b\":2}", { { "status", "3" } }, 1, "{\"a\":{\"status\":1},\"b\":2,\"status\":3}" },
	{ "{\"a\":1,\"b\":2}", { { "b", "\"x\"" }, { "a", NULL }, { "c", "null" } }, 3, "{\"b\":\"x\",\"c\":null}" },
	{ "{\"a\":1}", { { 0 } }, 0, "{\"a\":1}" },
};

START_TEST(test_patch_table)
{
	struct json_line jl = { 0 }, again = { 0 };
	struct buf out;
	const char *line = patch_cases[_i].line;

	ck_assert_int_eq(json_line_scan(&jl, line, strlen(line)), 0);
	buf_init(&out);
	json_line_patch(&jl, patch_cases[_i].edits, patch_cases[_i].nedits, &out);
	ck_assert_msg(out.len == strlen(patch_cases[_i].want) && memcmp(out.p, patch_cases[_i].want, out.len) == 0,
	    "case %d: got '%s' want '%s'", _i, out.p ? out.p : "", patch_cases[_i].want);
	/* a patched line is still one JSON object */
	ck_assert_int_eq(json_line_scan(&again, out.p, out.len), 0);
	buf_free(&out);
	json_line_free(&jl);
	json_line_free(&again);
}
END_TEST

/* ---------------------------------------------------------- array append */

static const struct {
	const char *arr, *elem, *want;
} append_cases[] = {
	{ "[]", "1", "[1]" },
	{ "[ ]", "1", "[1]" },
	{ "[0]", "1", "[0,1]" },
	{ "[0, 5]", "1", "[0, 5, 1]" },
	{ "[\n  0,\n  5\n]", "1", "[\n  0,\n  5,\n  1\n]" },
	{ " [ 0 ] ", "1", " [ 0,1 ] " },
	{ "[{\"a\":[1,2]},{\"b\":\"],\"}]", "{\"c\":3}", "[{\"a\":[1,2]},{\"b\":\"],\"},{\"c\":3}]" },
	{ "null", "1", "[1]" },
	{ "{\"a\":1}", "1", "[1]" },
};

START_TEST(test_append_table)
{
	struct buf out;

	buf_init(&out);
	json_array_append(append_cases[_i].arr, strlen(append_cases[_i].arr), append_cases[_i].elem,
	    strlen(append_cases[_i].elem), &out);
	ck_assert_msg(strcmp(out.p, append_cases[_i].want) == 0, "case %d: got '%s'", _i, out.p);
	buf_free(&out);
}
END_TEST

START_TEST(test_iter)
{
	const char *obj = "{ \"a\" : [1, {\"x\":2}] , \"b\":\"s\" }";
	const char *arr = "[ 1 ,\"two\", [3], {} ]";
	static const char *const avals[] = { "1", "\"two\"", "[3]", "{}" };
	struct json_iter it;
	const char *k, *v;
	size_t klen, vlen, n = 0;

	ck_assert_int_eq(json_iter_init(&it, obj, strlen(obj)), 0);
	ck_assert(it.object);
	ck_assert_int_eq(json_iter_next(&it, &k, &klen, &v, &vlen), 1);
	ck_assert(klen == 1 && k[0] == 'a' && vlen == 12 && memcmp(v, "[1, {\"x\":2}]", 12) == 0);
	ck_assert_int_eq(json_iter_next(&it, &k, &klen, &v, &vlen), 1);
	ck_assert(klen == 1 && k[0] == 'b' && vlen == 3);
	ck_assert_int_eq(json_iter_next(&it, &k, &klen, &v, &vlen), 0);

	ck_assert_int_eq(json_iter_init(&it, arr, strlen(arr)), 0);
	ck_assert(!it.object);
	while (json_iter_next(&it, NULL, NULL, &v, &vlen)) {
		ck_assert_uint_lt(n, 4);
		ck_assert(vlen == strlen(avals[n]) && memcmp(v, avals[n], vlen) == 0);
		n++;
	}
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(json_iter_init(&it, "\"s\"", 3), -1);
	ck_assert_int_eq(json_iter_init(&it, "", 0), -1);
	/* malformed text ends the walk instead of running past it */
	ck_assert_int_eq(json_iter_init(&it, "[1,,2]", 6), 0);
	ck_assert_int_eq(json_iter_next(&it, NULL, NULL, &v, &vlen), 1);
	ck_assert_int_eq(json_iter_next(&it, NULL, NULL, &v, &vlen), 0);
}
END_TEST

Suite *
json_line_suite(void)
{
	Suite *s = suite_create("json_line");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_scan_table, 0, sizeof scan_cases / sizeof scan_cases[0]);
	tcase_add_test(tc, test_scan_spans);
	tcase_add_test(tc, test_get_last_and_escaped_keys);
	tcase_add_test(tc, test_scan_depth);
	tcase_add_loop_test(tc, test_decode_table, 0, sizeof decode_cases / sizeof decode_cases[0]);
	tcase_add_loop_test(tc, test_patch_table, 0, sizeof patch_cases / sizeof patch_cases[0]);
	tcase_add_loop_test(tc, test_append_table, 0, sizeof append_cases / sizeof append_cases[0]);
	tcase_add_test(tc, test_iter);
	suite_add_tcase(s, tc);
	return s;
}
