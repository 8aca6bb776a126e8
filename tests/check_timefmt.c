/*
 * check_timefmt.c - RFC 3339 parsing and writing in a file's own style.
 * The timestamps are real ones from tests/corpus/beads (every style bd wrote
 * there: 0-9 fraction digits, Z and numeric offsets).
 */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ygg.h"

#define SEC INT64_C(1000000000)

static const struct {
	const char *text;
	int64_t ns;
} good[] = {
	{ "1970-01-01T00:00:00Z", INT64_C(0) },
	{ "2025-11-26T23:36:24.908588941Z", INT64_C(1764200184908588941) },
	{ "2025-11-26T23:40:11.86809792Z", INT64_C(1764200411868097920) },
	{ "2026-02-12T08:37:48Z", INT64_C(1770885468000000000) },
	{ "2026-04-21T07:08:41.300Z", INT64_C(1776755321300000000) },
	{ "2025-12-08T19:44:26.863355561+01:00", INT64_C(1765219466863355561) },
	{ "2025-11-09T23:51:24.385096237-05:00", INT64_C(1762750284385096237) },
	{ "2025-11-09T13:44:34.78157-05:00", INT64_C(1762713874781570000) },
	{ "2026-01-18T12:40:07.58124+04:00", INT64_C(1768725607581240000) },
	{ "2025-10-28T19:12:56.345276-07:00", INT64_C(1761703976345276000) },
	{ "2026-06-20T04:59:24Z", INT64_C(1781931564000000000) },
	{ "2024-02-29T23:59:59.9+05:30", INT64_C(1709231399900000000) },
	{ "1969-12-31T23:59:59.999999999Z", INT64_C(-1) },
	{ "2000-03-01T00:00:00Z", INT64_C(951868800000000000) },
	{ "1900-01-01T00:00:00Z", INT64_C(-2208988800000000000) },
	{ "2200-12-31T23:59:59Z", INT64_C(7289654399000000000) },
	/* the variants bd's parser also takes */
	{ "2026-06-20t04:59:24z", INT64_C(1781931564000000000) },
	{ "2026-06-20 04:59:24Z", INT64_C(1781931564000000000) },
	{ "2026-06-20T04:59:24+00:00", INT64_C(1781931564000000000) },
	{ "2026-06-20T04:59:24-00:00", INT64_C(1781931564000000000) },
	{ "2026-06-20T06:29:24.0+01:30", INT64_C(1781931564000000000) },
};

START_TEST(parse_good)
{
	int64_t ns = 42;

	ck_assert_msg(time_parse(good[_i].text, strlen(good[_i].text), &ns) == 0, "%s refused", good[_i].text);
	ck_assert_msg(ns == good[_i].ns, "%s: got %lld want %lld", good[_i].text, (long long)ns,
	    (long long)good[_i].ns);
}
END_TEST

static const char *const bad[] = {
	"",
	"2025-10-28",
	"2025-10-28T19:12:56",           /* no offset */
	"2025-10-28T19:12:56.Z",         /* dot without digits */
	"2025-10-28T19:12:56.1234567891Z", /* 10 digits */
	"2025-13-01T00:00:00Z",
	"2025-00-01T00:00:00Z",
	"2025-02-29T00:00:00Z",          /* not a leap year */
	"2100-02-29T00:00:00Z",          /* nor is 2100 */
	"2025-04-31T00:00:00Z",
	"2025-10-00T00:00:00Z",
	"2025-10-28T24:00:00Z",
	"2025-10-28T19:60:00Z",
	"2025-10-28T19:12:60Z",          /* Go refuses leap seconds too */
	"2025-10-28T19:12:56+07:0",
	"2025-10-28T19:12:56+0700",
	"2025-10-28T19:12:56+24:00",
	"2025-10-28T19:12:56+07:60",
	"2025-10-28T19:12:56Zjunk",
	"2025-10-28T19:12:56Z ",
	" 2025-10-28T19:12:56Z",
	"2025-10-28X19:12:56Z",
	"2025/10/28T19:12:56Z",
	"2025-1a-28T19:12:56Z",
	"+025-10-28T19:12:56Z",
	"2025-10-28T19:12:56.12a4Z",
	"2025-10-28T19:12:56UTC",
	"1600-01-01T00:00:00Z",          /* before int64 nanoseconds begin */
	"2300-01-01T00:00:00Z",          /* after they end */
	"not a time at all, clearly",
};

START_TEST(parse_bad)
{
	int64_t ns = 42;

	ck_assert_msg(time_parse(bad[_i], strlen(bad[_i]), &ns) == -1, "\"%s\" accepted", bad[_i]);
	ck_assert_int_eq(ns, 42);
}
END_TEST

START_TEST(parse_uses_len)
{
	const char *s = "2026-06-20T04:59:24Zjunk";
	int64_t ns;

	ck_assert_int_eq(time_parse(s, 20, &ns), 0);
	ck_assert_int_eq(ns, INT64_C(1781931564000000000));
	ck_assert_int_eq(time_parse(s, 19, &ns), -1);
	ck_assert_int_eq(time_parse(NULL, 0, &ns), -1);
}
END_TEST

/* The same instant written with different offsets and digits compares equal; order holds across offsets. */
START_TEST(order_across_offsets)
{
	static const char *const ascending[] = {
		"2025-10-28T19:12:56-07:00",          /* = 2025-10-29T02:12:56Z */
		"2025-10-29T02:12:56.000000001Z",
		"2025-10-29T07:42:56.000001+05:30",
		"2025-10-29T02:12:56.1Z",
		"2025-10-29T03:12:56.100000001+01:00",
		"2025-10-28T21:12:57-05:00",
	};
	int64_t prev = INT64_MIN, a, b;

	for (size_t i = 0; i < sizeof ascending / sizeof ascending[0]; i++) {
		ck_assert_int_eq(time_parse(ascending[i], strlen(ascending[i]), &a), 0);
		ck_assert_msg(a > prev, "%s is not after the one before", ascending[i]);
		prev = a;
	}
	ck_assert_int_eq(time_parse("2025-10-28T19:12:56-07:00", 25, &a), 0);
	ck_assert_int_eq(time_parse("2025-10-29T02:12:56Z", 20, &b), 0);
	ck_assert(a == b);
}
END_TEST

static const struct {
	const char *instant; /* parsed to get t */
	const char *example;
	const char *want;
} like[] = {
	{ "2025-10-29T02:12:56.345276123Z", "2025-10-28T19:12:56.345276-07:00", "2025-10-28T19:12:56.345276-07:00" },
	{ "2025-10-29T02:12:56.345276123Z", "2026-06-20T04:59:24Z", "2025-10-29T02:12:56Z" },
	{ "2025-10-29T02:12:56.345276123Z", "2025-11-26T23:36:24.908588941Z", "2025-10-29T02:12:56.345276123Z" },
	{ "2025-10-29T02:12:56.345276123Z", "2026-04-21T07:08:41.300Z", "2025-10-29T02:12:56.345Z" },
	{ "2025-10-29T02:12:56.345276123Z", "2025-11-26T23:40:11.86809792Z", "2025-10-29T02:12:56.34527612Z" },
	{ "2025-10-29T02:12:56.345276123Z", "2026-01-18T12:40:07.58124+04:00", "2025-10-29T06:12:56.34527+04:00" },
	{ "2025-10-29T02:12:56.345276123Z", "2024-02-29T23:59:59.9+05:30", "2025-10-29T07:42:56.3+05:30" },
	{ "2025-10-29T02:12:56.345276123Z", "2026-06-20t04:59:24z", "2025-10-29t02:12:56z" },
	{ "2025-10-29T02:12:56.345276123Z", "2026-06-20 04:59:24+00:00", "2025-10-29 02:12:56+00:00" },
	{ "2025-10-29T02:12:56.345276123Z", "2026-06-20T04:59:24-00:00", "2025-10-29T02:12:56-00:00" },
	/* no usable example: UTC, nanoseconds, Z */
	{ "2025-10-29T02:12:56.345276123Z", NULL, "2025-10-29T02:12:56.345276123Z" },
	{ "2025-10-29T02:12:56.345Z", "yesterday", "2025-10-29T02:12:56.345000000Z" },
	/* the offset moves the date, across a year and a leap day */
	{ "2025-01-01T00:30:00Z", "2026-02-12T08:37:48-01:00", "2024-12-31T23:30:00-01:00" },
	{ "2024-02-29T22:00:00Z", "2026-02-12T08:37:48+05:00", "2024-03-01T03:00:00+05:00" },
	{ "2024-03-01T01:00:00Z", "2026-02-12T08:37:48-02:00", "2024-02-29T23:00:00-02:00" },
	/* before 1970 the fraction is still cut toward the past */
	{ "1969-12-31T23:59:59.999999999Z", "2026-04-21T07:08:41.300Z", "1969-12-31T23:59:59.999Z" },
	{ "1969-12-31T23:59:59.999999999Z", "2026-02-12T08:37:48Z", "1969-12-31T23:59:59Z" },
};

START_TEST(format_like)
{
	char out[64];
	int64_t t;

	ck_assert_int_eq(time_parse(like[_i].instant, strlen(like[_i].instant), &t), 0);
	memset(out, 'x', sizeof out);
	time_format_like(t, like[_i].example, out, sizeof out);
	ck_assert_str_eq(out, like[_i].want);
}
END_TEST

START_TEST(format_like_small_buffer)
{
	char out[8];

	memset(out, 'x', sizeof out);
	time_format_like(0, NULL, out, sizeof out);
	ck_assert_str_eq(out, "1970-01");
}
END_TEST

static const struct {
	const char *old;
	const char *now; /* NULL: old's instant */
	int64_t now_delta;
	const char *want;
} after[] = {
	/* 0 digits: the next whole second when now is in old's second, or before it */
	{ "2025-10-28T19:12:56Z", NULL, 0, "2025-10-28T19:12:57Z" },
	{ "2025-10-28T19:12:56Z", NULL, 300000000, "2025-10-28T19:12:57Z" },
	{ "2025-10-28T19:12:56Z", NULL, -3600 * SEC, "2025-10-28T19:12:57Z" },
	{ "2025-10-28T19:12:56Z", "2025-10-28T19:22:56Z", 0, "2025-10-28T19:22:56Z" },
	{ "2025-10-28T19:12:56Z", "2025-10-28T19:22:56.5Z", 0, "2025-10-28T19:22:57Z" },
	/* microseconds in a western offset */
	{ "2025-10-28T19:12:56.345276-07:00", NULL, 0, "2025-10-28T19:12:56.345277-07:00" },
	{ "2025-10-28T19:12:56.345276-07:00", NULL, 100, "2025-10-28T19:12:56.345277-07:00" },
	{ "2025-10-28T19:12:56.345276-07:00", "2026-01-02T03:04:05.000000001Z", 0, "2026-01-01T20:04:05.000001-07:00" },
	/* nanoseconds */
	{ "2025-11-26T23:36:24.908588941Z", NULL, 0, "2025-11-26T23:36:24.908588942Z" },
	{ "2025-11-26T23:36:24.908588941Z", NULL, -SEC, "2025-11-26T23:36:24.908588942Z" },
	{ "2025-11-26T23:36:24.908588941Z", NULL, 5, "2025-11-26T23:36:24.908588946Z" },
	/* a trimmed style keeps its digits */
	{ "2026-04-21T07:08:41.300Z", NULL, 0, "2026-04-21T07:08:41.301Z" },
	{ "2024-02-29T23:59:59.9+05:30", NULL, 1, "2024-03-01T00:00:00.0+05:30" },
	/* no usable old value: now, UTC nanoseconds */
	{ NULL, "2026-01-02T03:04:05.123456789Z", 0, "2026-01-02T03:04:05.123456789Z" },
	{ "garbage", "2026-01-02T03:04:05Z", 0, "2026-01-02T03:04:05.000000000Z" },
};

START_TEST(after_table)
{
	char out[64];
	int64_t now;
	const char *base = after[_i].now != NULL ? after[_i].now : after[_i].old;

	ck_assert_int_eq(time_parse(base, strlen(base), &now), 0);
	now += after[_i].now_delta;
	time_after(after[_i].old, now, out, sizeof out);
	ck_assert_str_eq(out, after[_i].want);
}
END_TEST

/* Length of the part after the seconds: fraction and offset, the "style". */
static const char *
style_tail(const char *s)
{
	return s + 19;
}

static size_t
frac_digits(const char *s)
{
	return s[19] == '.' ? strspn(s + 20, "0123456789") : 0;
}

/* For every style, many nows around old: strictly later, never before now, same style. */
START_TEST(after_properties)
{
	static const char *const olds[] = {
		"2026-02-12T08:37:48Z",
		"2026-04-21T07:08:41.300Z",
		"2025-11-09T13:44:34.78157-05:00",
		"2025-10-28T19:12:56.345276-07:00",
		"2025-11-26T23:40:11.86809792Z",
		"2025-12-08T19:44:26.863355561+01:00",
		"2026-01-18T12:40:07.58124+04:00",
		"2025-12-31T23:59:59.9999+01:00",
		"2025-12-31T23:59:59Z",
	};
	static const int64_t deltas[] = {
		-86400 * SEC, -SEC, -1, 0, 1, 2, 999, 1000, 1001, 999999, 1000000, 123456789, SEC - 1, SEC,
		SEC + 1, 61 * SEC + 7, 86400 * SEC,
	};
	char out[64];

	for (size_t i = 0; i < sizeof olds / sizeof olds[0]; i++) {
		int64_t old_ns, got;
		ck_assert_int_eq(time_parse(olds[i], strlen(olds[i]), &old_ns), 0);
		for (size_t j = 0; j < sizeof deltas / sizeof deltas[0]; j++) {
			int64_t now = old_ns + deltas[j];
			time_after(olds[i], now, out, sizeof out);
			ck_assert_msg(time_parse(out, strlen(out), &got) == 0, "%s unparseable", out);
			ck_assert_msg(got > old_ns, "%s not after %s", out, olds[i]);
			ck_assert_msg(got >= now, "%s before now (%s %+lld)", out, olds[i], (long long)deltas[j]);
			ck_assert_uint_eq(strlen(out), strlen(olds[i]));
			ck_assert_uint_eq(frac_digits(out), frac_digits(olds[i]));
			const char *a = style_tail(out) + (frac_digits(out) ? frac_digits(out) + 1 : 0);
			const char *b = style_tail(olds[i]) + (frac_digits(olds[i]) ? frac_digits(olds[i]) + 1 : 0);
			ck_assert_str_eq(a, b);
			/* and as close as the style allows: one unit less would break a rule */
			int64_t unit = 1;
			for (size_t k = frac_digits(out); k < 9; k++)
				unit *= 10;
			ck_assert_msg(got - unit <= old_ns || got - unit < now, "%s is later than needed", out);
		}
	}
}
END_TEST

/* xorshift64*: a fixed sequence, so a failure reproduces */
static uint64_t
rnd(uint64_t *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * UINT64_C(2685821657736338717);
}

/*
 * Random instants from 1678 to 2261 in random styles (0-9 digits, any offset,
 * each separator and zone letter): written, read back, they give the instant cut
 * to the style, and writing that again gives the same text.
 */
START_TEST(random_round_trip)
{
	static const char seps[] = { 'T', 't', ' ' };
	uint64_t st = UINT64_C(0x9e3779b97f4a7c15);
	const int64_t lo = INT64_C(-9200000000) * SEC;
	const uint64_t span = UINT64_C(18400000000) * UINT64_C(1000000000);

	for (int i = 0; i < 20000; i++) {
		char example[64], out[64], again[64];
		int digits = (int)(rnd(&st) % 10);
		int off = (int)(rnd(&st) % (2 * 1440 - 1)) - 1439;
		int64_t t = (int64_t)((uint64_t)lo + rnd(&st) % span);
		int64_t back, unit = 1;
		char zone[8];

		if (rnd(&st) % 4 == 0)
			off = 0;
		if (off == 0 && rnd(&st) % 2 == 0)
			snprintf(zone, sizeof zone, "%c", rnd(&st) % 2 ? 'Z' : 'z');
		else
			snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
		snprintf(example, sizeof example, "2001-02-03%c04:05:06%s%.*s%s", seps[rnd(&st) % 3],
		    digits > 0 ? "." : "", digits, "123456789", zone);
		for (int k = digits; k < 9; k++)
			unit *= 10;

		time_format_like(t, example, out, sizeof out);
		if (strlen(out) != strlen(example) || strcmp(out + strlen(out) - strlen(zone), zone) != 0 ||
		    out[10] != example[10])
			ck_abort_msg("%lld in the style of %s: %s", (long long)t, example, out);
		if (time_parse(out, strlen(out), &back) == -1)
			ck_abort_msg("%s (from %lld) does not parse", out, (long long)t);
		int64_t cut = t - ((t % unit) + unit) % unit;
		if (back != cut)
			ck_abort_msg("%s reads as %lld, want %lld", out, (long long)back, (long long)cut);
		time_format_like(back, out, again, sizeof again);
		if (strcmp(again, out) != 0)
			ck_abort_msg("%s written again as %s", out, again);
	}
}
END_TEST

/* Every timestamp in the shared corpus parses and is written back byte for byte in its own style. */
START_TEST(corpus_round_trip)
{
	char *dir = tu_src("tests/corpus/beads");
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t checked = 0;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (nl < 7 || strcmp(de->d_name + nl - 6, ".jsonl") != 0)
			continue;
		char *path = path_join(dir, de->d_name);
		size_t len;
		char *text = tu_read_file(path, &len);
		if (text == NULL)
			ck_abort_msg("cannot read %s", path);
		/* a byte loop rather than strstr: sanitizers check the whole rest of the text per call */
		for (size_t i = 0; i + 6 < len; i++) {
			if (memcmp(text + i, "_at\":\"", 6) != 0)
				continue;
			char *p = text + i + 6;
			char *end = memchr(p, '"', len - (size_t)(p - text));
			if (end == NULL || end - p < 20 || end - p > 40)
				continue;
			char ts[64], out[64];
			int64_t ns;
			memcpy(ts, p, (size_t)(end - p));
			ts[end - p] = '\0';
			/* plain ifs: each ck_assert writes to Check's pipe, too slow for 20000 values */
			if (time_parse(ts, strlen(ts), &ns) == -1)
				ck_abort_msg("%s: %s refused", de->d_name, ts);
			time_format_like(ns, ts, out, sizeof out);
			if (strcmp(out, ts) != 0)
				ck_abort_msg("%s: %s written back as %s", de->d_name, ts, out);
			checked++;
		}
		free(text);
		free(path);
	}
	closedir(d);
	free(dir);
	ck_assert_uint_gt(checked, 10000);
}
END_TEST

Suite *
timefmt_suite(void)
{
	Suite *s = suite_create("timefmt");
	TCase *tc = tcase_create("timefmt");

	tcase_add_loop_test(tc, parse_good, 0, sizeof good / sizeof good[0]);
	tcase_add_loop_test(tc, parse_bad, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, parse_uses_len);
	tcase_add_test(tc, order_across_offsets);
	tcase_add_loop_test(tc, format_like, 0, sizeof like / sizeof like[0]);
	tcase_add_test(tc, format_like_small_buffer);
	tcase_add_loop_test(tc, after_table, 0, sizeof after / sizeof after[0]);
	tcase_add_test(tc, after_properties);
	tcase_add_test(tc, random_round_trip);
	tcase_add_test(tc, corpus_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
