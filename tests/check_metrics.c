/*
 * check_metrics.c - GET /metrics against a strict reading of the Prometheus text
 * exposition format 0.0.4, written here from the format's description rather
 * than taken from metrics.c: every family has # HELP and # TYPE before its first
 * sample and its samples stay together; metric and label names are valid; label
 * values use only the \\ \" \n escapes; no sample repeats; counters end in
 * _total and never go negative; histogram buckets are cumulative, ordered by
 * le, end in le="+Inf" equal to _count, and come with _sum.
 *
 * The checker is run on bad texts first (each must be refused for its reason),
 * then on metrics_render() of a daemon with awkward names, then on the real
 * /metrics of yggd after a few tasks ran through the mock host.
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

/* ---- the checker */

struct family {
	char *name;
	char type[16];
	bool help, typed, has_samples, closed;
};

struct sample {
	char *name;
	char *labels;   /* canonical "a=\"x\",b=\"y\"" in the order given, without le */
	char *le;       /* histogram buckets: the le value */
	double value;
	struct family *fam;
};

struct expo {
	struct family fams[256];
	size_t nfams;
	struct sample *samples;
	size_t nsamples;
	char err[512];
};

static void
expo_free(struct expo *x)
{
	for (size_t i = 0; i < x->nfams; i++)
		free(x->fams[i].name);
	for (size_t i = 0; i < x->nsamples; i++) {
		free(x->samples[i].name);
		free(x->samples[i].labels);
		free(x->samples[i].le);
	}
	free(x->samples);
}

static int
expo_fail(struct expo *x, int line, const char *fmt, const char *arg)
{
	int n = snprintf(x->err, sizeof x->err, "line %d: ", line);
	snprintf(x->err + n, sizeof x->err - (size_t)n, fmt, arg);
	return -1;
}

static bool
valid_metric_name(const char *s, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return false;
	for (size_t i = 1; i < len; i++) {
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
			return false;
	}
	return true;
}

static bool
valid_label_name(const char *s, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	if (len >= 2 && s[0] == '_' && s[1] == '_')
		return false; /* reserved */
	for (size_t i = 1; i < len; i++) {
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	}
	return true;
}

static struct family *
family_find(struct expo *x, const char *name)
{
	for (size_t i = 0; i < x->nfams; i++) {
		if (strcmp(x->fams[i].name, name) == 0)
			return &x->fams[i];
	}
	return NULL;
}

static struct family *
family_get(struct expo *x, const char *name)
{
	struct family *f = family_find(x, name);

	if (f == NULL) {
		f = &x->fams[x->nfams++];
		memset(f, 0, sizeof *f);
		f->name = xstrdup(name);
	}
	return f;
}

static bool
parse_value(const char *s, double *v)
{
	char *end;

	if (strcmp(s, "NaN") == 0) {
		*v = NAN;
		return true;
	}
	if (strcmp(s, "+Inf") == 0 || strcmp(s, "-Inf") == 0) {
		*v = s[0] == '+' ? INFINITY : -INFINITY;
		return true;
	}
	if (*s == '\0' || isspace((unsigned char)*s))
		return false;
	*v = strtod(s, &end);
	return *end == '\0' && isfinite(*v);
}

/* The family a sample belongs to: its own name, or a histogram's by suffix. */
static struct family *
sample_family(struct expo *x, const char *name, const char **suffix)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };
	struct family *f = family_find(x, name);

	*suffix = "";
	if (f != NULL && f->typed)
		return f;
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(name), k = strlen(sfx[i]);
		if (n > k && strcmp(name + n - k, sfx[i]) == 0) {
			char *base = xstrndup(name, n - k);
			f = family_find(x, base);
			free(base);
			if (f != NULL && (strcmp(f->type, "histogram") == 0 || strcmp(f->type, "summary") == 0)) {
				*suffix = sfx[i];
				return f;
			}
		}
	}
	return NULL;
}

static int
parse_sample(struct expo *x, int ln, char *line, struct family **current)
{
	char *p = line, *name;
	struct buf labels, le;
	bool has_le = false;
	const char *suffix;
	struct family *f;
	struct sample *s;
	double v;

	while (*p != '\0' && *p != '{' && *p != ' ')
		p++;
	name = xstrndup(line, (size_t)(p - line));
	if (!valid_metric_name(name, strlen(name))) {
		expo_fail(x, ln, "bad metric name \"%s\"", name);
		free(name);
		return -1;
	}
	buf_init(&labels);
	buf_init(&le);
	if (*p == '{') {
		char *names[32];
		size_t nnames = 0;
		p++;
		while (*p != '}') {
			char *ln_start = p;
			while (*p != '\0' && *p != '=')
				p++;
			if (*p != '=' || !valid_label_name(ln_start, (size_t)(p - ln_start)))
				goto bad_label_names;
			char *lname = xstrndup(ln_start, (size_t)(p - ln_start));
			p++;
			if (*p++ != '"') {
				free(lname);
				goto bad_label_names;
			}
			struct buf val;
			buf_init(&val);
			while (*p != '"') {
				if (*p == '\0') {
					free(lname);
					buf_free(&val);
					goto bad_label_names;
				}
				char ch = *p;
				if (ch == '\\') {
					p++;
					if (*p != '\\' && *p != '"' && *p != 'n') {
						free(lname);
						buf_free(&val);
						for (size_t k = 0; k < nnames; k++)
							free(names[k]);
						buf_free(&labels);
						buf_free(&le);
						expo_fail(x, ln, "bad escape in a label value of %s", name);
						free(name);
						return -1;
					}
					ch = *p == 'n' ? '\n' : *p;
				}
				buf_addc(&val, ch);
				p++;
			}
			p++;
			bool dup = false;
			for (size_t k = 0; k < nnames; k++)
				dup |= strcmp(names[k], lname) == 0;
			if (dup || nnames == sizeof names / sizeof names[0]) {
				free(lname);
				buf_free(&val);
				for (size_t k = 0; k < nnames; k++)
					free(names[k]);
				buf_free(&labels);
				buf_free(&le);
				expo_fail(x, ln, "label repeated in %s", name);
				free(name);
				return -1;
			}
			names[nnames++] = xstrdup(lname);
			if (strcmp(lname, "le") == 0) {
				has_le = true;
				buf_adds(&le, val.p != NULL ? val.p : "");
			} else {
				buf_printf(&labels, "%s%s=\"%s\"", labels.len ? "," : "", lname, val.p != NULL ? val.p : "");
			}
			free(lname);
			buf_free(&val);
			if (*p == ',') {
				p++;
				if (*p == '}')
					goto bad_label_names; /* strict: no trailing comma */
			} else if (*p != '}') {
				goto bad_label_names;
			}
			continue;
bad_label_names:
			for (size_t k = 0; k < nnames; k++)
				free(names[k]);
			goto bad_label;
		}
		for (size_t k = 0; k < nnames; k++)
			free(names[k]);
		p++;
	}
	if (*p != ' ') {
		buf_free(&labels);
		buf_free(&le);
		expo_fail(x, ln, "no value after %s", name);
		free(name);
		return -1;
	}
	p++;
	char *sp = strchr(p, ' ');
	if (sp != NULL)
		*sp = '\0'; /* a timestamp may follow; we never write one */
	if (!parse_value(p, &v)) {
		buf_free(&labels);
		buf_free(&le);
		expo_fail(x, ln, "bad value \"%s\"", p);
		free(name);
		return -1;
	}
	f = sample_family(x, name, &suffix);
	if (f == NULL || !f->help || !f->typed) {
		buf_free(&labels);
		buf_free(&le);
		expo_fail(x, ln, "sample %s before its family's # HELP and # TYPE", name);
		free(name);
		return -1;
	}
	if (f->closed || (*current != NULL && *current != f && f->has_samples)) {
		buf_free(&labels);
		buf_free(&le);
		expo_fail(x, ln, "samples of %s are not together", f->name);
		free(name);
		return -1;
	}
	if (*current != NULL && *current != f)
		(*current)->closed = true;
	*current = f;
	f->has_samples = true;
	if (strcmp(f->type, "counter") == 0 && (v < 0 || isnan(v))) {
		buf_free(&labels);
		buf_free(&le);
		expo_fail(x, ln, "counter %s is negative or NaN", name);
		free(name);
		return -1;
	}
	if (strcmp(f->type, "histogram") == 0 && (strcmp(suffix, "_bucket") == 0) != has_le) {
		buf_free(&labels);
		buf_free(&le);
		expo_fail(x, ln, "%s: le belongs on _bucket samples and only there", name);
		free(name);
		return -1;
	}
	for (size_t i = 0; i < x->nsamples; i++) {
		struct sample *o = &x->samples[i];
		if (strcmp(o->name, name) == 0 && strcmp(o->labels, labels.p != NULL ? labels.p : "") == 0 &&
		    (o->le == NULL) == !has_le && (!has_le || strcmp(o->le, le.p != NULL ? le.p : "") == 0)) {
			buf_free(&labels);
			buf_free(&le);
			expo_fail(x, ln, "sample %s repeated", name);
			free(name);
			return -1;
		}
	}
	x->samples = xrealloc(x->samples, (x->nsamples + 1) * sizeof *x->samples);
	s = &x->samples[x->nsamples++];
	s->name = name;
	s->labels = xstrdup(labels.p != NULL ? labels.p : "");
	s->le = has_le ? xstrdup(le.p != NULL ? le.p : "") : NULL;
	s->value = v;
	s->fam = f;
	buf_free(&labels);
	buf_free(&le);
	return 0;
bad_label:
	buf_free(&labels);
	buf_free(&le);
	expo_fail(x, ln, "malformed labels in \"%s\"", line);
	free(name);
	return -1;
}

/* The histogram rules, per family and label set. */
static int
check_histograms(struct expo *x)
{
	for (size_t fi = 0; fi < x->nfams; fi++) {
		struct family *f = &x->fams[fi];
		if (strcmp(f->type, "histogram") != 0)
			continue;
		char *bname = xasprintf("%s_bucket", f->name), *sname = xasprintf("%s_sum", f->name),
		     *cname = xasprintf("%s_count", f->name);
		for (size_t i = 0; i < x->nsamples; i++) {
			struct sample *c = &x->samples[i];
			if (strcmp(c->name, cname) != 0)
				continue;
			double prev_le = -INFINITY, prev = 0, inf = -1;
			bool sum = false, after_inf = false;
			size_t nb = 0;
			for (size_t k = 0; k < x->nsamples; k++) {
				struct sample *b = &x->samples[k];
				if (strcmp(b->labels, c->labels) != 0)
					continue;
				if (strcmp(b->name, sname) == 0)
					sum = true;
				if (strcmp(b->name, bname) != 0)
					continue;
				double le;
				if (!parse_value(b->le, &le) || isnan(le)) {
					snprintf(x->err, sizeof x->err, "%s: le=\"%s\" is not a number", bname, b->le);
					goto bad;
				}
				if (after_inf || le <= prev_le) {
					snprintf(x->err, sizeof x->err, "%s: le=\"%s\" out of order", bname, b->le);
					goto bad;
				}
				if (b->value < prev) {
					snprintf(x->err, sizeof x->err, "%s: bucket le=\"%s\" smaller than the one before", bname, b->le);
					goto bad;
				}
				prev_le = le;
				prev = b->value;
				nb++;
				if (isinf(le)) {
					after_inf = true;
					inf = b->value;
				}
			}
			if (nb == 0 || inf < 0) {
				snprintf(x->err, sizeof x->err, "%s: no le=\"+Inf\" bucket", bname);
				goto bad;
			}
			if (inf != c->value) {
				snprintf(x->err, sizeof x->err, "%s: le=\"+Inf\" is %g but _count is %g", bname, inf, c->value);
				goto bad;
			}
			if (!sum) {
				snprintf(x->err, sizeof x->err, "%s: no _sum", f->name);
				goto bad;
			}
		}
		/* and no bucket without a _count */
		for (size_t i = 0; i < x->nsamples; i++) {
			struct sample *b = &x->samples[i];
			bool found = false;
			if (strcmp(b->name, bname) != 0)
				continue;
			for (size_t k = 0; k < x->nsamples; k++)
				found |= strcmp(x->samples[k].name, cname) == 0 && strcmp(x->samples[k].labels, b->labels) == 0;
			if (!found) {
				snprintf(x->err, sizeof x->err, "%s: buckets without _count", f->name);
				goto bad;
			}
		}
		free(bname);
		free(sname);
		free(cname);
		continue;
bad:
		free(bname);
		free(sname);
		free(cname);
		return -1;
	}
	return 0;
}

/* 0 when text is a valid exposition; -1 with x->err saying the first problem. */
static int
expo_check(struct expo *x, const char *text)
{
	char *copy = xstrdup(text), *save = NULL;
	struct family *current = NULL;
	int ln = 0, rc = 0;
	size_t len = strlen(text);

	memset(x, 0, sizeof *x);
	if (len == 0 || text[len - 1] != '\n') {
		snprintf(x->err, sizeof x->err, "the text does not end with a newline");
		free(copy);
		return -1;
	}
	for (char *line = strtok_r(copy, "\n", &save); line != NULL && rc == 0; line = strtok_r(NULL, "\n", &save)) {
		ln++;
		if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0) {
			bool help = line[2] == 'H';
			char *name = line + 7, *sp = strchr(name, ' ');
			if (sp == NULL) {
				rc = expo_fail(x, ln, "%s", "# HELP/# TYPE without a name and text");
				break;
			}
			*sp = '\0';
			if (!valid_metric_name(name, strlen(name))) {
				rc = expo_fail(x, ln, "bad family name \"%s\"", name);
				break;
			}
			if (x->nfams == sizeof x->fams / sizeof x->fams[0]) {
				rc = expo_fail(x, ln, "%s", "too many families");
				break;
			}
			struct family *f = family_get(x, name);
			if (f->has_samples) {
				rc = expo_fail(x, ln, "# HELP or # TYPE of %s after its samples", name);
				break;
			}
			if (help) {
				if (f->help) {
					rc = expo_fail(x, ln, "second # HELP for %s", name);
					break;
				}
				for (const char *h = sp + 1; *h != '\0'; h++) {
					if (*h == '\\' && h[1] != '\\' && h[1] != 'n') {
						rc = expo_fail(x, ln, "bad escape in # HELP of %s", name);
						break;
					}
					if (*h == '\\')
						h++;
				}
				f->help = true;
			} else {
				const char *type = sp + 1;
				static const char *const types[] = { "counter", "gauge", "histogram", "summary", "untyped" };
				bool known = false;
				for (size_t i = 0; i < 5; i++)
					known |= strcmp(type, types[i]) == 0;
				if (f->typed || !known) {
					rc = expo_fail(x, ln, f->typed ? "second # TYPE for %s" : "unknown type in \"%s\"",
					    f->typed ? name : type);
					break;
				}
				if (strcmp(type, "counter") == 0 &&
				    (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total") != 0)) {
					rc = expo_fail(x, ln, "counter %s does not end in _total", name);
					break;
				}
				snprintf(f->type, sizeof f->type, "%s", type);
				f->typed = true;
			}
			continue;
		}
		if (line[0] == '#')
			continue; /* a plain comment */
		rc = parse_sample(x, ln, line, &current);
	}
	free(copy);
	if (rc == 0)
		rc = check_histograms(x);
	return rc;
}

/* The value of one sample ("name" and canonical labels), or NAN when absent. */
static double
expo_value(struct expo *x, const char *name, const char *labels)
{
	for (size_t i = 0; i < x->nsamples; i++) {
		if (strcmp(x->samples[i].name, name) == 0 && strcmp(x->samples[i].labels, labels) == 0 &&
		    x->samples[i].le == NULL)
			return x->samples[i].value;
	}
	return NAN;
}

/* ---- the checker refuses what it must */

START_TEST(test_checker_refuses)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "x_total 1\n", "before its family" },
		{ "# HELP x_total h\nx_total 1\n", "before its family" },
		{ "# TYPE x_total counter\nx_total 1\n", "before its family" },
		{ "# HELP x h\n# TYPE x counter\nx 1\n", "does not end in _total" },
		{ "# HELP x_total h\n# TYPE x_total counter\nx_total -1\n", "negative" },
		{ "# HELP x h\n# TYPE x gauge\nx 1", "newline" },
		{ "# HELP x h\n# TYPE x gauge\nx one\n", "bad value" },
		{ "# HELP x h\n# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n", "repeated" },
		{ "# HELP x h\n# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n", "label repeated" },
		{ "# HELP x h\n# TYPE x gauge\nx{a=\"\\t\"} 1\n", "bad escape" },
		{ "# HELP x h\n# TYPE x gauge\nx{a=\"1\",} 1\n", "malformed labels" },
		{ "# HELP x h\n# TYPE x gauge\nx{1a=\"1\"} 1\n", "malformed labels" },
		{ "# HELP x h\n# TYPE x gauge\nx{__a=\"1\"} 1\n", "malformed labels" },
		{ "# HELP x h\n# TYPE x gauge\nx{a=\"1} 1\n", "malformed labels" },
		{ "# HELP 1x h\n", "bad family name" },
		{ "# HELP x h\n# TYPE x gauge\n# TYPE x gauge\n", "second # TYPE" },
		{ "# HELP x h\n# TYPE x wibble\n", "unknown type" },
		{ "# HELP x h\n# TYPE x gauge\nx 1\n# HELP y h\n# TYPE y gauge\ny 1\nx{a=\"b\"} 2\n", "not together" },
		{ "# HELP x h\n# TYPE x gauge\nx 1\n# HELP x h2\n", "after its samples" },
		{ "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		    "smaller than" },
		{ "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
		  "h_sum 1\nh_count 1\n",
		    "out of order" },
		{ "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "no le=\"+Inf\"" },
		{ "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
		    "_count is 3" },
		{ "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n", "no _sum" },
		{ "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n", "without _count" },
		{ "# HELP h h\n# TYPE h histogram\nh_sum{le=\"1\"} 1\n", "le belongs" },
		{ "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"x\"} 1\nh_sum 1\nh_count 1\n", "not a number" },
	};
	static const char *good =
	    "# HELP x_total a \\\\ b \\n c\n# TYPE x_total counter\nx_total{a=\"q\\\"\\\\\\n\",b=\"\"} 1\n"
	    "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
	    "h_sum 3.5\nh_count 2\n# a comment\n# HELP g g\n# TYPE g gauge\ng NaN\ng{x=\"1\"} +Inf\n";

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct expo x;
		int rc = expo_check(&x, bad[i].text);
		ck_assert_msg(rc == -1, "case %zu accepted:\n%s", i, bad[i].text);
		ck_assert_msg(strstr(x.err, bad[i].why) != NULL, "case %zu: \"%s\" is not about \"%s\"", i, x.err, bad[i].why);
		expo_free(&x);
	}
	struct expo x;
	ck_assert_msg(expo_check(&x, good) == 0, "a valid text refused: %s", x.err);
	ck_assert(expo_value(&x, "x_total", "a=\"q\"\\\n\",b=\"\"") == 1);
	expo_free(&x);
}
END_TEST

/* ---- label escaping and values */

START_TEST(test_label_escape)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "a\"b", "a\\\"b" },
		{ "a\\b", "a\\\\b" },
		{ "line\nbreak", "line\\nbreak" },
		{ "\\\"\n", "\\\\\\\"\\n" },
		{ "tab\tstays", "tab\tstays" },
		{ "ünïcode ✓", "ünïcode ✓" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		buf_init(&b);
		metrics_label_escape(&b, cases[i].in);
		ck_assert_str_eq(b.p != NULL ? b.p : "", cases[i].out);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_values)
{
	static const struct {
		double v;
		const char *out;
	} cases[] = {
		{ 0, "0" }, { 3, "3" }, { 1e6, "1000000" }, { 0.1, "0.1" }, { 2.5, "2.5" },
		{ 1.0 / 3, "0.333333333333333" }, { -4, "-4" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		buf_init(&b);
		metrics_value(&b, cases[i].v);
		/* the text reads back as the same number, and as written for the round ones */
		ck_assert_double_eq(strtod(b.p, NULL), cases[i].v);
		if (i != 5)
			ck_assert_str_eq(b.p, cases[i].out);
		buf_free(&b);
	}
	struct buf b;
	buf_init(&b);
	metrics_value(&b, NAN);
	buf_addc(&b, ' ');
	metrics_value(&b, INFINITY);
	buf_addc(&b, ' ');
	metrics_value(&b, -INFINITY);
	ck_assert_str_eq(b.p, "NaN +Inf -Inf");
	buf_free(&b);
}
END_TEST

/*
 * metrics_render on a daemon built by hand, with names that need escaping (the
 * config would not allow such host names; handler and outcome counters come
 * from code and must be safe whatever they hold).
 */
START_TEST(test_render_escapes)
{
	struct daemon d;
	struct ygg_config cfg;
	struct host h1, h2;
	struct host_conf c1, c2;
	struct expo x;
	struct buf b;

	memset(&d, 0, sizeof d);
	memset(&cfg, 0, sizeof cfg);
	memset(&h1, 0, sizeof h1);
	memset(&h2, 0, sizeof h2);
	memset(&c1, 0, sizeof c1);
	memset(&c2, 0, sizeof c2);
	d.cfg = &cfg;
	d.started_wall = now_wall_ns();
	TAILQ_INIT(&d.hosts);
	TAILQ_INIT(&d.tasks);
	plugin_set_init(&d.plugins);
	stats_init(&d.stats);
	c1.slots = 2;
	c2.slots = 5;
	h1.name = "we\"ird\\host\nname";
	h1.conf = &c1;
	h1.in_flight = 1;
	h1.healthy = true;
	h2.name = "plain";
	h2.conf = &c2;
	TAILQ_INSERT_TAIL(&d.hosts, &h1, entry);
	TAILQ_INSERT_TAIL(&d.hosts, &h2, entry);
	stats_outcome(&d.stats, "gen\"eral", "we\"ird\\host\nname", "closed");
	stats_outcome(&d.stats, "gen\"eral", "we\"ird\\host\nname", "closed");
	stats_outcome(&d.stats, "general", "plain", "blocked");
	histogram_observe(&d.stats.duration, 0.2);
	histogram_observe(&d.stats.duration, 7);
	histogram_observe(&d.stats.duration, 1000);
	histogram_observe(&d.stats.ttft, 0.01);
	d.stats.prompt_tokens = 10;
	d.stats.completion_tokens = 32;
	d.queued_count = 4;
	d.ready_count = 6;

	buf_init(&b);
	metrics_render(&d, &b);
	ck_assert_msg(expo_check(&x, b.p) == 0, "%s\n%s", x.err, b.p);
	ck_assert(expo_value(&x, "ygg_tasks_total",
	              "handler=\"gen\"eral\",host=\"we\"ird\\host\nname\",outcome=\"closed\"") == 2);
	ck_assert(expo_value(&x, "ygg_tasks_total", "handler=\"general\",host=\"plain\",outcome=\"blocked\"") == 1);
	ck_assert(expo_value(&x, "ygg_host_slots", "host=\"we\"ird\\host\nname\"") == 2);
	ck_assert(expo_value(&x, "ygg_host_slots", "host=\"plain\"") == 5);
	ck_assert(expo_value(&x, "ygg_host_in_flight", "host=\"we\"ird\\host\nname\"") == 1);
	ck_assert(expo_value(&x, "ygg_host_up", "host=\"plain\"") == 0);
	ck_assert(expo_value(&x, "ygg_queue_depth", "") == 4);
	ck_assert(expo_value(&x, "ygg_ready", "") == 6);
	ck_assert(expo_value(&x, "ygg_task_duration_seconds_count", "") == 3);
	ck_assert(expo_value(&x, "ygg_task_duration_seconds_sum", "") == 1007.2);
	ck_assert(expo_value(&x, "ygg_tokens_total", "kind=\"completion\"") == 32);
	ck_assert(expo_value(&x, "ygg_tokens_total", "kind=\"prompt\"") == 10);
	ck_assert(expo_value(&x, "ygg_up", "") == 1);
	ck_assert(expo_value(&x, "ygg_build_info", "version=\"" YGG_VERSION "\"") == 1);
	/* 1000 s is past the last bound: only +Inf holds it */
	ck_assert_ptr_nonnull(strstr(b.p, "ygg_task_duration_seconds_bucket{le=\"300\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "ygg_task_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "ygg_task_duration_seconds_bucket{le=\"0.25\"} 1\n"));
	expo_free(&x);
	buf_free(&b);
	stats_clear(&d.stats);
}
END_TEST

/* ---- the real /metrics after tasks ran */

static int
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

START_TEST(test_live_metrics)
{
	char *dir = tu_tmpdir(), *beads = xasprintf("%s/.beads", dir), *tracker = xasprintf("%s/issues.jsonl", beads);
	char *config = xasprintf("%s/ygg.ini", dir), *log = xasprintf("%s/yggd.log", dir);
	char *plugins = tu_build("plugins"), *bin = tu_bin("yggd");
	int mport, port = free_port();
	pid_t mock = tu_mock_start(&mport, NULL), yggd;
	struct expo x;
	long status = 0;
	char *body = NULL;

	ck_assert_int_gt(mport, 0);
	mkdir(beads, 0755);
	tu_write_file(tracker,
	    "{\"id\":\"m-1\",\"title\":\"One [mock tokens=7]\",\"status\":\"open\",\"priority\":1,\"issue_type\":\"task\"}\n"
	    "{\"id\":\"m-2\",\"title\":\"Two [mock tokens=5]\",\"status\":\"open\",\"priority\":1,\"issue_type\":\"task\"}\n"
	    "{\"id\":\"m-3\",\"title\":\"Three [mock tokens=3]\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\"}\n"
	    "{\"id\":\"m-4\",\"title\":\"Refused [mock fault=400]\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\"}\n");
	tu_write_filef(config,
	    "[yggd]\nstore = jsonl\nbeads_dir = .beads\nplugin_dir = %s\nartifacts_dir = artifacts\n"
	    "control = 127.0.0.1:%d\nmax_attempts = 1\n\n"
	    "[host.mock-a]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 2\n\n"
	    "[host.mock-b]\nurl = http://127.0.0.1:%d\napi = openai\nmodel = m\nslots = 1\n\n"
	    "[handler.general]\nhosts = mock-a, mock-b\ndefault = yes\n",
	    plugins, port, mport, mport);
	char *argv[] = { bin, "-c", config, NULL };
	yggd = tu_spawn(argv, log);

	/* wait until the four tasks have ended (closed or blocked) */
	double done = 0;
	for (int i = 0; i < 500 && done < 4; i++) {
		tu_sleep(0.02);
		free(body);
		body = tu_http_get(port, "/metrics", &status);
		if (status != 200)
			continue;
		ck_assert_msg(expo_check(&x, body) == 0, "%s\n%s", x.err, body);
		done = 0;
		for (size_t k = 0; k < x.nsamples; k++) {
			if (strcmp(x.samples[k].name, "ygg_tasks_total") == 0 &&
			    (strstr(x.samples[k].labels, "outcome=\"closed\"") || strstr(x.samples[k].labels, "outcome=\"blocked\"")))
				done += x.samples[k].value;
		}
		expo_free(&x);
	}
	ck_assert_msg(done == 4, "tasks did not end: %g\n%s", done, body != NULL ? body : "");
	ck_assert_msg(expo_check(&x, body) == 0, "%s", x.err);
	double closed = 0;
	for (size_t k = 0; k < x.nsamples; k++) {
		if (strcmp(x.samples[k].name, "ygg_tasks_total") == 0 && strstr(x.samples[k].labels, "outcome=\"closed\""))
			closed += x.samples[k].value;
	}
	ck_assert(closed == 3);
	ck_assert(expo_value(&x, "ygg_task_duration_seconds_count", "") == 4);
	ck_assert(expo_value(&x, "ygg_tokens_total", "kind=\"completion\"") >= 15);
	ck_assert(expo_value(&x, "ygg_host_slots", "host=\"mock-a\"") == 2);
	ck_assert(expo_value(&x, "ygg_host_slots", "host=\"mock-b\"") == 1);
	ck_assert(expo_value(&x, "ygg_host_up", "host=\"mock-a\"") == 1);
	ck_assert(expo_value(&x, "ygg_host_in_flight", "host=\"mock-a\"") == 0);
	ck_assert(expo_value(&x, "ygg_up", "") == 1);
	ck_assert(expo_value(&x, "ygg_queue_depth", "") == 0);
	ck_assert(expo_value(&x, "ygg_plugins_loaded", "") >= 1);
	double blocked = 0;
	for (size_t k = 0; k < x.nsamples; k++) {
		if (strcmp(x.samples[k].name, "ygg_tasks_total") == 0 && strstr(x.samples[k].labels, "outcome=\"blocked\""))
			blocked += x.samples[k].value;
	}
	ck_assert(blocked == 1);
	expo_free(&x);
	free(body);

	/* the content type Prometheus expects */
	CURL *c = curl_easy_init();
	char *url = xasprintf("http://127.0.0.1:%d/metrics", port);
	char *ctype = NULL;
	FILE *null = fopen("/dev/null", "w");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
	ck_assert_str_eq(ctype, "text/plain; version=0.0.4; charset=utf-8");
	curl_easy_cleanup(c);
	fclose(null);
	free(url);

	kill(yggd, SIGTERM);
	ck_assert_int_eq(tu_wait(yggd, 40), 0);
	tu_mock_stop(mock);
	if (getenv("YGG_SHOW_LOG") != NULL) {
		char *l = tu_read_file(log, NULL);
		fprintf(stderr, "%s", l != NULL ? l : "");
		free(l);
	}
	tu_rmtree(dir);
	free(dir);
	free(beads);
	free(tracker);
	free(config);
	free(log);
	free(plugins);
	free(bin);
}
END_TEST

Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_checker_refuses);
	tcase_add_test(tc, test_label_escape);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_render_escapes);
	suite_add_tcase(s, tc);
	tc = tcase_create("live");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_live_metrics);
	suite_add_tcase(s, tc);
	return s;
}
