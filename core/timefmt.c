/*
 * timefmt.c - RFC 3339 timestamps as bd writes them, and new timestamps in the
 * style a file already uses.
 *
 * bd (Go) writes time.RFC3339Nano: trailing fraction zeros trimmed, so one file
 * holds "…:56Z", "…:56.345276-07:00" and "…:56.123456789Z" side by side. A value
 * yggd writes copies the style of the value it replaces (fraction digits, offset,
 * separator), so a diff of the file shows only the change.
 *
 * Calendar arithmetic is done here (Howard Hinnant's days_from_civil) rather
 * than with timegm/mktime, which depend on TZ and on the C library.
 */
#include <stdio.h>
#include <string.h>

#include "ygg.h"

#define NS_PER_SEC INT64_C(1000000000)
#define SECS_PER_DAY INT64_C(86400)

/* How a timestamp is written. */
struct time_style {
	int digits;   /* fraction digits, 0-9 */
	int offset;   /* minutes east of UTC */
	char sep;     /* 'T', 't' or ' ' */
	char zulu;    /* 'Z' or 'z' when the offset is written as a letter, else 0 */
	char sign;    /* '+' or '-' for a numeric offset ("-00:00" stays as written) */
};

/* Newly created timestamps: UTC, nanoseconds, "Z" (what bd writes on Linux). */
static const struct time_style default_style = { 9, 0, 'T', 'Z', '+' };

static const int64_t pow10_tab[10] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1-12, d 1-31). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int64_t y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* n digits at s as a number; -1 when any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* floor(a / b) for b > 0. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

/*
 * Parse "YYYY-MM-DD(T|t| )hh:mm:ss[.f{1,9}](Z|z|±hh:mm)". Fills the instant
 * and, when st is not NULL, the style it was written in.
 */
static int
parse_styled(const char *s, size_t len, int64_t *ns, struct time_style *st)
{
	struct time_style sty = { 0, 0, 'T', 0, '+' };
	int64_t frac = 0;
	size_t i;

	if (s == NULL || len < 20)
		return -1;
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
	if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0)
		return -1;
	if (s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
		return -1;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return -1;
	sty.sep = s[10];
	/* Go's parser refuses a 60th second too, so a leap second is not a bd timestamp. */
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
		return -1;

	i = 19;
	if (s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (sty.digits == 9)
				return -1;
			frac = frac * 10 + (s[i] - '0');
			sty.digits++;
			i++;
		}
		if (sty.digits == 0)
			return -1;
		frac *= pow10_tab[9 - sty.digits];
	}
	if (i >= len)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		sty.zulu = s[i];
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		if (len - i < 6 || s[i + 3] != ':')
			return -1;
		int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
		if (oh < 0 || om < 0 || oh > 23 || om > 59)
			return -1;
		sty.sign = s[i];
		sty.offset = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else
		return -1;
	if (i != len)
		return -1;

	int64_t secs = days_from_civil(y, mo, d) * SECS_PER_DAY + h * 3600 + mi * 60 + se;
	secs -= (int64_t)sty.offset * 60;
	/* int64 nanoseconds reach from 1677-09-21 to 2262-04-11. */
	if (secs < INT64_MIN / NS_PER_SEC + 1 || secs > INT64_MAX / NS_PER_SEC - 1)
		return -1;
	*ns = secs * NS_PER_SEC + frac;
	if (st != NULL)
		*st = sty;
	return 0;
}

int
time_parse(const char *s, size_t len, int64_t *ns)
{
	return parse_styled(s, len, ns, NULL);
}

/* The style of example, or the default one when example is not a timestamp. */
static struct time_style
style_of(const char *example)
{
	struct time_style st;
	int64_t ignored;

	if (example == NULL || parse_styled(example, strlen(example), &ignored, &st) == -1)
		return default_style;
	return st;
}

/* Write t in style st; the fraction is cut (not rounded) to st->digits, as Go does. */
static void
format_styled(int64_t t, const struct time_style *st, char *out, size_t outlen)
{
	int64_t local = t + (int64_t)st->offset * 60 * NS_PER_SEC;
	int64_t secs = floor_div(local, NS_PER_SEC);
	int64_t frac = local - secs * NS_PER_SEC;
	int64_t days = floor_div(secs, SECS_PER_DAY);
	int64_t sod = secs - days * SECS_PER_DAY;
	int64_t y;
	int m, d;
	char fbuf[16] = "";
	char obuf[16];

	civil_from_days(days, &y, &m, &d);
	if (st->digits > 0)
		snprintf(fbuf, sizeof fbuf, ".%0*lld", st->digits,
		    (long long)(frac / pow10_tab[9 - st->digits]));
	if (st->zulu != 0 && st->offset == 0)
		snprintf(obuf, sizeof obuf, "%c", st->zulu);
	else {
		int off = st->offset < 0 ? -st->offset : st->offset;
		char sign = st->offset < 0 ? '-' : st->offset > 0 ? '+' : st->sign;
		snprintf(obuf, sizeof obuf, "%c%02d:%02d", sign, off / 60, off % 60);
	}
	snprintf(out, outlen, "%04lld-%02d-%02d%c%02d:%02d:%02d%s%s", (long long)y, m, d, st->sep,
	    (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), fbuf, obuf);
}

void
time_format_like(int64_t t, const char *example, char *out, size_t outlen)
{
	struct time_style st = style_of(example);

	format_styled(t, &st, out, outlen);
}

/*
 * The result is rounded up to the style's precision, never down: a value cut
 * to old's digits could land on or before old (or before now). With 0 digits
 * and now in the same second as old, that means the next whole second, which
 * keeps the file's style at the cost of a timestamp up to a second ahead.
 */
void
time_after(const char *old, int64_t now, char *out, size_t outlen)
{
	struct time_style st = default_style;
	int64_t old_ns = INT64_MIN, t = now;

	if (old != NULL && parse_styled(old, strlen(old), &old_ns, &st) == 0 && old_ns >= t)
		t = old_ns + 1;
	int64_t unit = pow10_tab[9 - st.digits];
	int64_t up = floor_div(t, unit) * unit;
	if (up < t)
		up += unit;
	format_styled(up, &st, out, outlen);
}
