/*
 * check_ready.c - bd's ready rules and the dispatch orders, one small tracker
 * per case: which issues come out of ready_compute, and in which order.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ygg.h"

#define C(day) "\"created_at\":\"2025-01-" day "T00:00:00Z\""

static const struct {
	const char *name;
	const char *text;
	enum sort_kind sort;
	const char *want; /* ids in dispatch order, comma-separated */
} cases[] = {
	{ "blocks vs parent-child vs related",
	    "{\"id\":\"A\"," C("01") "}\n"
	    "{\"id\":\"B\"," C("02") ",\"dependencies\":[{\"issue_id\":\"B\",\"depends_on_id\":\"A\",\"type\":\"blocks\"}]}\n"
	    "{\"id\":\"C\"," C("03") ",\"dependencies\":[{\"issue_id\":\"C\",\"depends_on_id\":\"A\",\"type\":\"related\"}]}\n"
	    "{\"id\":\"D\"," C("04") ",\"dependencies\":[{\"issue_id\":\"D\",\"depends_on_id\":\"A\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"E\"," C("05") ",\"dependencies\":[{\"issue_id\":\"E\",\"depends_on_id\":\"A\",\"type\":\"discovered-from\"},"
	    "{\"issue_id\":\"E\",\"depends_on_id\":\"A\",\"type\":\"waits-for\"}]}\n"
	    "{\"id\":\"F\"," C("06") ",\"dependencies\":[{\"issue_id\":\"F\",\"depends_on_id\":\"A\"}]}\n"
	    "{\"id\":\"G\"," C("07") ",\"dependencies\":[{\"issue_id\":\"G\",\"depends_on_id\":\"A\",\"type\":\"conditional-blocks\"}]}\n",
	    SORT_PRIORITY, "A,C,D,E" },
	{ "blocked parent with open children, to any depth",
	    "{\"id\":\"X\"," C("01") "}\n"
	    "{\"id\":\"P\"," C("02") ",\"issue_type\":\"epic\",\"dependencies\":[{\"issue_id\":\"P\",\"depends_on_id\":\"X\"}]}\n"
	    "{\"id\":\"K\"," C("03") ",\"dependencies\":[{\"issue_id\":\"K\",\"depends_on_id\":\"P\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"G\"," C("04") ",\"dependencies\":[{\"issue_id\":\"G\",\"depends_on_id\":\"K\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"Q\"," C("05") ",\"dependencies\":[{\"issue_id\":\"Q\",\"depends_on_id\":\"X\",\"type\":\"parent-child\"}]}\n",
	    SORT_PRIORITY, "X,Q" },
	{ "a closed link in the family passes no blockage on",
	    "{\"id\":\"X\"," C("01") ",\"status\":\"in_progress\"}\n"
	    "{\"id\":\"P\"," C("02") ",\"dependencies\":[{\"issue_id\":\"P\",\"depends_on_id\":\"X\"}]}\n"
	    "{\"id\":\"K\"," C("03") ",\"status\":\"closed\",\"dependencies\":[{\"issue_id\":\"K\",\"depends_on_id\":\"P\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"G\"," C("04") ",\"dependencies\":[{\"issue_id\":\"G\",\"depends_on_id\":\"K\",\"type\":\"parent-child\"}]}\n",
	    SORT_PRIORITY, "G" },
	{ "closed, pinned and tombstone blockers block nothing; other statuses do",
	    "{\"id\":\"closed\",\"status\":\"closed\"}\n"
	    "{\"id\":\"pinned\",\"status\":\"pinned\"}\n"
	    "{\"id\":\"pinflag\",\"status\":\"open\",\"pinned\":true}\n"
	    "{\"id\":\"tomb\",\"status\":\"tombstone\"}\n"
	    "{\"id\":\"busy\",\"status\":\"in_progress\"}\n"
	    "{\"id\":\"stuck\",\"status\":\"blocked\"}\n"
	    "{\"id\":\"later\",\"status\":\"deferred\"}\n"
	    "{\"id\":\"custom\",\"status\":\"review\"}\n"
	    "{\"id\":\"b1\"," C("01") ",\"dependencies\":[{\"depends_on_id\":\"closed\",\"type\":\"blocks\"}]}\n"
	    "{\"id\":\"b2\"," C("02") ",\"dependencies\":[{\"depends_on_id\":\"pinned\",\"type\":\"blocks\"}]}\n"
	    "{\"id\":\"b3\"," C("03") ",\"dependencies\":[{\"depends_on_id\":\"pinflag\",\"type\":\"blocks\"}]}\n"
	    "{\"id\":\"b4\"," C("04") ",\"dependencies\":[{\"depends_on_id\":\"tomb\",\"type\":\"conditional-blocks\"}]}\n"
	    "{\"id\":\"b5\"," C("05") ",\"dependencies\":[{\"depends_on_id\":\"busy\",\"type\":\"blocks\"}]}\n"
	    "{\"id\":\"b6\"," C("06") ",\"dependencies\":[{\"depends_on_id\":\"stuck\",\"type\":\"blocks\"}]}\n"
	    "{\"id\":\"b7\"," C("07") ",\"dependencies\":[{\"depends_on_id\":\"later\",\"type\":\"blocks\"}]}\n"
	    "{\"id\":\"b8\"," C("08") ",\"dependencies\":[{\"depends_on_id\":\"custom\",\"type\":\"blocks\"}]}\n"
	    "{\"id\":\"b9\"," C("09") ",\"dependencies\":[{\"depends_on_id\":\"closed\"},{\"depends_on_id\":\"busy\"}]}\n",
	    SORT_PRIORITY, "b1,b2,b3,b4" },
	{ "blockers missing from the file",
	    "{\"id\":\"M\"," C("01") ",\"dependencies\":[{\"issue_id\":\"M\",\"depends_on_id\":\"other-99\",\"type\":\"blocks\"}]}\n"
	    "{\"id\":\"N\"," C("02") ",\"dependencies\":[{\"issue_id\":\"N\",\"depends_on_id\":\"gone\",\"type\":\"parent-child\"}]}\n",
	    SORT_PRIORITY, "M,N" },
	{ "defer_until on the issue and on its ancestors",
	    "{\"id\":\"past\"," C("01") ",\"defer_until\":\"2026-01-09T23:59:59Z\"}\n"
	    "{\"id\":\"future\"," C("02") ",\"defer_until\":\"2026-01-10T00:00:01Z\"}\n"
	    "{\"id\":\"now\"," C("03") ",\"defer_until\":\"2026-01-10T01:00:00+01:00\"}\n"
	    "{\"id\":\"kid\"," C("04") ",\"dependencies\":[{\"depends_on_id\":\"future\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"grandkid\"," C("05") ",\"dependencies\":[{\"depends_on_id\":\"kid\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"kid2\"," C("06") ",\"dependencies\":[{\"depends_on_id\":\"past\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"blockedbyfuture\"," C("07") ",\"dependencies\":[{\"depends_on_id\":\"future\",\"type\":\"blocks\"}]}\n",
	    SORT_PRIORITY, "past,now,kid2" },
	{ "workflow types are not work",
	    "{\"id\":\"t1\"," C("01") ",\"issue_type\":\"merge-request\"}\n"
	    "{\"id\":\"t2\"," C("02") ",\"issue_type\":\"gate\"}\n"
	    "{\"id\":\"t3\"," C("03") ",\"issue_type\":\"molecule\"}\n"
	    "{\"id\":\"t4\"," C("04") ",\"issue_type\":\"message\"}\n"
	    "{\"id\":\"t5\"," C("05") ",\"issue_type\":\"agent\"}\n"
	    "{\"id\":\"t6\"," C("06") ",\"issue_type\":\"role\"}\n"
	    "{\"id\":\"t7\"," C("07") ",\"issue_type\":\"rig\"}\n"
	    "{\"id\":\"t8\"," C("08") ",\"issue_type\":\"epic\"}\n"
	    "{\"id\":\"t9\"," C("09") ",\"issue_type\":\"bug\"}\n"
	    "{\"id\":\"t10\"," C("10") ",\"issue_type\":\"decision\"}\n"
	    "{\"id\":\"t11\"," C("11") ",\"issue_type\":\"chore\"}\n",
	    SORT_PRIORITY, "t8,t9,t10,t11" },
	{ "missing status and issue_type read as open task; other statuses are not ready",
	    "{\"id\":\"s1\"," C("01") "}\n"
	    "{\"id\":\"s2\"," C("02") ",\"status\":\"\",\"issue_type\":\"\"}\n"
	    "{\"id\":\"s3\"," C("03") ",\"status\":\"in_progress\"}\n"
	    "{\"id\":\"s4\"," C("04") ",\"status\":\"closed\"}\n"
	    "{\"id\":\"s5\"," C("05") ",\"status\":\"blocked\"}\n"
	    "{\"id\":\"s6\"," C("06") ",\"status\":\"deferred\"}\n"
	    "{\"id\":\"s7\"," C("07") ",\"status\":\"hooked\"}\n"
	    "{\"id\":\"s8\"," C("08") ",\"status\":\"open\"}\n",
	    SORT_PRIORITY, "s1,s2,s8" },
	{ "pinned and ephemeral issues are not work",
	    "{\"id\":\"p1\"," C("01") ",\"pinned\":true}\n"
	    "{\"id\":\"p2\"," C("02") ",\"ephemeral\":true}\n"
	    "{\"id\":\"p3\"," C("03") ",\"status\":\"pinned\"}\n"
	    "{\"id\":\"p4\"," C("04") ",\"pinned\":false,\"ephemeral\":false}\n",
	    SORT_PRIORITY, "p4" },
	{ "mixed offsets and 0-9 fraction digits order by the instant",
	    "{\"id\":\"z1\",\"created_at\":\"2025-01-01T08:30:00Z\"}\n"
	    "{\"id\":\"z2\",\"created_at\":\"2025-01-01T10:00:00+02:00\"}\n"
	    "{\"id\":\"z3\",\"created_at\":\"2025-01-01T03:15:00.123456789-05:00\"}\n"
	    "{\"id\":\"z4\",\"created_at\":\"2025-01-01T08:15:00.12Z\"}\n"
	    "{\"id\":\"z5\",\"created_at\":\"2025-01-01T08:15:00.1234Z\"}\n"
	    "{\"id\":\"z6\",\"created_at\":\"2025-01-01T07:59:59.9+00:00\"}\n",
	    SORT_PRIORITY, "z6,z2,z4,z5,z3,z1" },
	{ "equal priorities: older first, then id",
	    "{\"id\":\"e-b\",\"priority\":1," C("02") "}\n"
	    "{\"id\":\"e-a\",\"priority\":1," C("02") "}\n"
	    "{\"id\":\"e-c\",\"priority\":1," C("01") "}\n"
	    "{\"id\":\"e-0\",\"priority\":0," C("09") "}\n"
	    "{\"id\":\"e-n\",\"priority\":1}\n",
	    SORT_PRIORITY, "e-0,e-c,e-a,e-b,e-n" },
	{ "cycles end: blocks cycles block, parent-child cycles stop climbing",
	    "{\"id\":\"cA\"," C("01") ",\"dependencies\":[{\"depends_on_id\":\"cB\"}]}\n"
	    "{\"id\":\"cB\"," C("02") ",\"dependencies\":[{\"depends_on_id\":\"cA\"}]}\n"
	    "{\"id\":\"self\"," C("03") ",\"dependencies\":[{\"depends_on_id\":\"self\"}]}\n"
	    "{\"id\":\"p1\"," C("04") ",\"dependencies\":[{\"depends_on_id\":\"p2\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"p2\"," C("05") ",\"dependencies\":[{\"depends_on_id\":\"p1\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"q1\"," C("06") ",\"dependencies\":[{\"depends_on_id\":\"q2\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"q2\"," C("07") ",\"dependencies\":[{\"depends_on_id\":\"q1\",\"type\":\"parent-child\"},"
	    "{\"depends_on_id\":\"X\"}]}\n"
	    "{\"id\":\"q3\"," C("08") ",\"dependencies\":[{\"depends_on_id\":\"q1\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"X\"," C("09") "}\n"
	    "{\"id\":\"d1\"," C("10") ",\"defer_until\":\"2099-01-01T00:00:00Z\",\"dependencies\":[{\"depends_on_id\":\"d2\",\"type\":\"parent-child\"}]}\n"
	    "{\"id\":\"d2\"," C("11") ",\"dependencies\":[{\"depends_on_id\":\"d1\",\"type\":\"parent-child\"}]}\n",
	    SORT_PRIORITY, "p1,p2,X" },
	{ "duplicate ids: the last line decides",
	    "{\"id\":\"dup\"," C("01") ",\"status\":\"open\"}\n"
	    "{\"id\":\"blk\"," C("02") ",\"dependencies\":[{\"depends_on_id\":\"dup\"}]}\n"
	    "{\"id\":\"dup\"," C("01") ",\"status\":\"closed\"}\n",
	    SORT_PRIORITY, "blk" },
	/* now is 2026-01-10T00:00:00Z for every case */
	{ "sort priority",
	    "{\"id\":\"old-p0\",\"priority\":0,\"created_at\":\"2026-01-01T00:00:00Z\"}\n"
	    "{\"id\":\"old-p3\",\"priority\":3,\"created_at\":\"2025-12-01T00:00:00Z\"}\n"
	    "{\"id\":\"new-p2\",\"priority\":2,\"created_at\":\"2026-01-09T12:00:00Z\"}\n"
	    "{\"id\":\"new-p1\",\"priority\":1,\"created_at\":\"2026-01-08T01:00:00+00:00\"}\n"
	    "{\"id\":\"edge-48h\",\"priority\":3,\"created_at\":\"2026-01-08T01:00:00+01:00\"}\n"
	    "{\"id\":\"nodate\",\"priority\":0}\n",
	    SORT_PRIORITY, "old-p0,nodate,new-p1,new-p2,old-p3,edge-48h" },
	{ "sort oldest",
	    "{\"id\":\"old-p0\",\"priority\":0,\"created_at\":\"2026-01-01T00:00:00Z\"}\n"
	    "{\"id\":\"old-p3\",\"priority\":3,\"created_at\":\"2025-12-01T00:00:00Z\"}\n"
	    "{\"id\":\"new-p2\",\"priority\":2,\"created_at\":\"2026-01-09T12:00:00Z\"}\n"
	    "{\"id\":\"new-p1\",\"priority\":1,\"created_at\":\"2026-01-08T01:00:00+00:00\"}\n"
	    "{\"id\":\"edge-48h\",\"priority\":3,\"created_at\":\"2026-01-08T01:00:00+01:00\"}\n"
	    "{\"id\":\"nodate\",\"priority\":0}\n",
	    SORT_OLDEST, "old-p3,old-p0,edge-48h,new-p1,new-p2,nodate" },
	{ "sort hybrid: the last 48 hours by priority, then the rest oldest first",
	    "{\"id\":\"old-p0\",\"priority\":0,\"created_at\":\"2026-01-01T00:00:00Z\"}\n"
	    "{\"id\":\"old-p3\",\"priority\":3,\"created_at\":\"2025-12-01T00:00:00Z\"}\n"
	    "{\"id\":\"new-p2\",\"priority\":2,\"created_at\":\"2026-01-09T12:00:00Z\"}\n"
	    "{\"id\":\"new-p1\",\"priority\":1,\"created_at\":\"2026-01-08T01:00:00+00:00\"}\n"
	    "{\"id\":\"edge-48h\",\"priority\":3,\"created_at\":\"2026-01-08T01:00:00+01:00\"}\n"
	    "{\"id\":\"just-old\",\"priority\":0,\"created_at\":\"2026-01-07T23:59:59.999999999Z\"}\n"
	    "{\"id\":\"future\",\"priority\":2,\"created_at\":\"2026-02-01T00:00:00Z\"}\n"
	    "{\"id\":\"nodate\",\"priority\":0}\n",
	    SORT_HYBRID, "new-p1,new-p2,future,edge-48h,old-p3,old-p0,just-old,nodate" },
};

static char *
ready_ids(const char *text, enum sort_kind sort, int64_t now)
{
	struct tracker *t = tracker_new();
	const struct issue **all, **ready;
	struct buf b;
	size_t n, nr;

	ck_assert_int_eq(tracker_load(t, text, strlen(text), "ready.jsonl"), 0);
	n = tracker_issues(t, &all);
	nr = ready_compute(all, n, now, sort, &ready);
	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < nr; i++)
		buf_printf(&b, "%s%s", i ? "," : "", ready[i]->id);
	free(ready);
	tracker_free(t);
	return buf_steal(&b);
}

static int64_t
now_2026(void)
{
	int64_t ns;

	ck_assert_int_eq(time_parse("2026-01-10T00:00:00Z", 20, &ns), 0);
	return ns;
}

START_TEST(test_ready_table)
{
	char *got = ready_ids(cases[_i].text, cases[_i].sort, now_2026());

	ck_assert_msg(strcmp(got, cases[_i].want) == 0, "%s:\n got %s\nwant %s", cases[_i].name, got, cases[_i].want);
	free(got);
}
END_TEST

/* Input with a repeated id straight from a caller (not deduplicated by a tracker). */
START_TEST(test_duplicate_input)
{
	const char *lines[] = { "{\"id\":\"d\",\"status\":\"open\"}", "{\"id\":\"e\"}", "{\"id\":\"d\",\"status\":\"closed\"}" };
	struct issue *is[3];
	const struct issue **ready;
	struct json_line jl = { 0 };

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(json_line_scan(&jl, lines[i], strlen(lines[i])), 0);
		ck_assert_int_eq(issue_from_line(&jl, &is[i]), 0);
	}
	ck_assert_uint_eq(ready_compute((const struct issue *const *)is, 3, now_2026(), SORT_PRIORITY, &ready), 1);
	ck_assert_str_eq(ready[0]->id, "e");
	free(ready);
	ck_assert_uint_eq(ready_compute((const struct issue *const *)is, 0, now_2026(), SORT_PRIORITY, &ready), 0);
	free(ready);
	for (int i = 0; i < 3; i++)
		issue_free(is[i]);
	json_line_free(&jl);
}
END_TEST

/* A 200000-deep parent-child chain under one blocked root: no recursion to blow up. */
START_TEST(test_deep_chain)
{
	struct buf b;
	size_t depth = 200000;
	char *got;

	buf_init(&b);
	buf_adds(&b, "{\"id\":\"root\",\"dependencies\":[{\"depends_on_id\":\"blocker\"}]}\n{\"id\":\"blocker\"}\n");
	buf_adds(&b, "{\"id\":\"n0\",\"dependencies\":[{\"depends_on_id\":\"root\",\"type\":\"parent-child\"}]}\n");
	for (size_t i = 1; i < depth; i++)
		buf_printf(&b, "{\"id\":\"n%zu\",\"dependencies\":[{\"depends_on_id\":\"n%zu\",\"type\":\"parent-child\"}]}\n", i,
		    i - 1);
	got = ready_ids(b.p, SORT_PRIORITY, now_2026());
	ck_assert_str_eq(got, "blocker");
	free(got);
	buf_free(&b);
}
END_TEST

/* ready_sort on a list the bd backend already filtered. */
START_TEST(test_ready_sort)
{
	const char *text = "{\"id\":\"a\",\"priority\":3,\"created_at\":\"2026-01-09T00:00:00Z\"}\n"
			   "{\"id\":\"b\",\"priority\":1,\"created_at\":\"2025-01-01T00:00:00Z\"}\n"
			   "{\"id\":\"c\",\"priority\":2,\"created_at\":\"2026-01-09T06:00:00Z\"}\n";
	static const struct {
		enum sort_kind sort;
		const char *want;
	} sorts[] = { { SORT_PRIORITY, "b,c,a" }, { SORT_OLDEST, "b,a,c" }, { SORT_HYBRID, "c,a,b" } };
	struct tracker *t = tracker_new();
	const struct issue **all, *v[3];

	ck_assert_int_eq(tracker_load(t, text, strlen(text), "s.jsonl"), 0);
	ck_assert_uint_eq(tracker_issues(t, &all), 3);
	for (size_t k = 0; k < 3; k++) {
		struct buf b;
		memcpy(v, all, sizeof v);
		ready_sort(v, 3, now_2026(), sorts[k].sort);
		buf_init(&b);
		buf_printf(&b, "%s,%s,%s", v[0]->id, v[1]->id, v[2]->id);
		ck_assert_str_eq(b.p, sorts[k].want);
		buf_free(&b);
	}
	ready_sort(v, 0, now_2026(), SORT_HYBRID);
	tracker_free(t);
}
END_TEST

START_TEST(test_type_excluded)
{
	ck_assert(ready_type_excluded("gate"));
	ck_assert(ready_type_excluded("rig"));
	ck_assert(!ready_type_excluded("task"));
	ck_assert(!ready_type_excluded("Gate"));
}
END_TEST

Suite *
ready_suite(void)
{
	Suite *s = suite_create("ready");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_ready_table, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_duplicate_input);
	tcase_add_test(tc, test_deep_chain);
	tcase_add_test(tc, test_ready_sort);
	tcase_add_test(tc, test_type_excluded);
	suite_add_tcase(s, tc);
	return s;
}
