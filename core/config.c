/*
 * config.c - the INI file: read with inih, checked key by key, every problem
 * reported as "FILE:LINE: key: what is wrong".
 *
 * Reading and checking are two passes. inih splits lines into sections, keys
 * and values (and strips comments); our reader feeds it one line at a time so we
 * know the line number of every key and section whatever inih was built with
 * (Debian builds it without INI_HANDLER_LINENO and without a callback for empty
 * sections). The second pass walks the sections in file order and stops at
 * the first problem, then checks what spans sections (the hosts a handler
 * names). Loading is not thread-safe: it sets inih's line length (see below).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>
#include <json-c/json.h>

#include "ygg.h"

const char *const ygg_task_types[] = {
	"code-generation", "text-processing", "reasoning", "summarize", "general", "artifact", NULL,
};

/*
 * Debian's libinih turns its compile-time limits into variables; the line
 * buffer is ini_max_line bytes (200 upstream). Raise it when the variable
 * exists, so long system prompts fit on one line; a weak reference keeps the
 * build working against an upstream inih, where longer lines get a clear error.
 */
#pragma weak ini_max_line
extern int ini_max_line;
#define CONFIG_MAX_LINE 16384

#define SLOTS_MAX 1024
#define SECONDS_MAX (365.0 * 86400.0)
#define BYTES_MAX ((double)(1u << 30))

/* ------------------------------------------------------------ first pass: reading */

struct ini_ent {
	char *key;
	char *val;
	int line;
	int cont_line; /* first indented continuation line, 0 when none */
};

struct ini_sec {
	char *name;
	int line;
	struct ini_ent *ents;
	size_t n, cap;
};

struct reader {
	const char *name;
	const char *pos; /* next unread byte of the text */
	int lineno;      /* lines handed to inih so far */
	const char *line; /* the raw line inih is parsing */
	size_t line_len;
	struct ini_sec *secs;
	size_t nsecs, cap;
	bool in_sec;   /* a [section] header has been seen */
	bool key_seen; /* a key since the last header: inih treats indented lines as continuations */
	bool cont;     /* the current line is such a continuation */
	int err_line;
	char *err;
};

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static void
reader_fail(struct reader *r, int line, const char *fmt, ...) YGG_PRINTF_LIKE(3, 4);

/* printf into a new string. */
static char *
vformat(const char *fmt, va_list ap)
{
	struct buf b;
	va_list ap2;
	int n;

	buf_init(&b);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n > 0) {
		buf_reserve(&b, (size_t)n);
		vsnprintf(b.p, (size_t)n + 1, fmt, ap);
		b.len = (size_t)n;
	}
	return buf_steal(&b);
}

static void
reader_fail(struct reader *r, int line, const char *fmt, ...)
{
	va_list ap;

	if (r->err != NULL && r->err_line <= line)
		return;
	free(r->err);
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	r->err = xasprintf("%s:%d: %s", r->name, line, msg);
	r->err_line = line;
	free(msg);
}

/* Where inih would end a section name: at ']' or at an inline comment. */
static const char *
header_end(const char *s, const char *end)
{
	bool was_space = false;

	while (s < end && *s != ']' && !(was_space && *s == ';')) {
		was_space = is_blank((unsigned char)*s);
		s++;
	}
	return s;
}

/* Note what kind of line inih is about to see, mirroring its own rules. */
static void
reader_classify(struct reader *r)
{
	const char *p = r->line, *end = r->line + r->line_len;

	if (r->lineno == 1 && r->line_len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	const char *q = p;
	while (q < end && is_blank((unsigned char)*q))
		q++;
	r->cont = false;
	if (q == end || *q == ';' || *q == '#')
		return;
	if (q > p && r->key_seen) {
		r->cont = true;
		return;
	}
	if (*q != '[')
		return;
	const char *close = header_end(q + 1, end);
	if (close == end || *close != ']')
		return; /* inih reports the line */
	const char *s = q + 1;
	while (s < close && is_blank((unsigned char)*s))
		s++;
	while (close > s && is_blank((unsigned char)close[-1]))
		close--;
	if (r->nsecs == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->secs = xrealloc(r->secs, r->cap * sizeof *r->secs);
	}
	struct ini_sec *sec = &r->secs[r->nsecs++];
	memset(sec, 0, sizeof *sec);
	sec->name = xstrndup(s, (size_t)(close - s));
	sec->line = r->lineno;
	r->in_sec = true;
	r->key_seen = false;
}

/* An fgets for inih over the text in memory, one line per call. */
static char *
reader_gets(char *str, int num, void *stream)
{
	struct reader *r = stream;
	const char *nl;
	size_t len;

	if (*r->pos == '\0' || num < 2)
		return NULL;
	nl = strchr(r->pos, '\n');
	len = nl != NULL ? (size_t)(nl - r->pos) + 1 : strlen(r->pos);
	r->lineno++;
	if (len > (size_t)num - 1) {
		/* inih would cut the line in two and read the rest as a line of its own. */
		reader_fail(r, r->lineno, "line is longer than %d bytes (continue a long value on indented lines)",
		    num - 2);
		return NULL;
	}
	memcpy(str, r->pos, len);
	str[len] = '\0';
	r->line = r->pos;
	r->line_len = len;
	r->pos += len;
	reader_classify(r);
	return str;
}

/* Line n (1-based) of text, for messages about lines inih refused. */
static char *
text_line(const char *text, int n)
{
	const char *p = text;

	for (int i = 1; i < n && p != NULL; i++) {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		return xstrdup("");
	if (n == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	size_t len = strcspn(p, "\r\n");
	while (len > 0 && is_blank((unsigned char)p[len - 1]))
		len--;
	while (len > 0 && is_blank((unsigned char)*p))
		p++, len--;
	return xstrndup(p, len);
}

/* Value text without an inline "; comment", for an inih built without them. */
static char *
value_clean(const char *v)
{
	size_t len = strlen(v);

	for (size_t i = 1; i < len; i++) {
		if (v[i] == ';' && is_blank((unsigned char)v[i - 1])) {
			len = i;
			break;
		}
	}
	while (len > 0 && is_blank((unsigned char)v[len - 1]))
		len--;
	size_t start = 0;
	while (start < len && is_blank((unsigned char)v[start]))
		start++;
	return xstrndup(v + start, len - start);
}

/* The key as written on the current line (inih cuts names at 49 bytes). */
static char *
raw_key(const struct reader *r, const char *name)
{
	const char *p = r->line, *end = r->line + r->line_len;

	if (strlen(name) < 49)
		return xstrdup(name);
	if (r->lineno == 1 && r->line_len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end && is_blank((unsigned char)*p))
		p++;
	const char *e = p;
	while (e < end && *e != '=' && *e != ':')
		e++;
	while (e > p && is_blank((unsigned char)e[-1]))
		e--;
	return xstrndup(p, (size_t)(e - p));
}

static int
reader_entry(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	struct ini_sec *sec;
	char *val;

	(void)section; /* ours is the full name; inih's is cut at 49 bytes */
	if (value == NULL)
		return 1;
	val = value_clean(value);
	if (r->cont && r->nsecs > 0 && r->secs[r->nsecs - 1].n > 0) {
		/* An indented line continues the previous value, as in Python's configparser. */
		struct ini_ent *e = &r->secs[r->nsecs - 1].ents[r->secs[r->nsecs - 1].n - 1];
		char *joined = xasprintf("%s\n%s", e->val, val);
		free(e->val);
		free(val);
		e->val = joined;
		if (e->cont_line == 0)
			e->cont_line = r->lineno;
		return 1;
	}
	if (name[0] == '\0') {
		char *l = text_line(r->line, 1);
		reader_fail(r, r->lineno, "expected [section] or key = value, not \"%s\"", l);
		free(l);
		free(val);
		r->key_seen = true;
		return 1;
	}
	if (!r->in_sec) {
		char *key = raw_key(r, name);
		reader_fail(r, r->lineno, "%s: set before any [section] (global settings go under [yggd])", key);
		free(key);
		free(val);
		r->key_seen = true;
		return 1;
	}
	sec = &r->secs[r->nsecs - 1];
	if (sec->n == sec->cap) {
		sec->cap = sec->cap ? sec->cap * 2 : 8;
		sec->ents = xrealloc(sec->ents, sec->cap * sizeof *sec->ents);
	}
	struct ini_ent *e = &sec->ents[sec->n++];
	e->key = raw_key(r, name);
	e->val = val;
	e->line = r->lineno;
	e->cont_line = 0;
	r->key_seen = true;
	return 1;
}

static void
reader_clear(struct reader *r)
{
	for (size_t i = 0; i < r->nsecs; i++) {
		for (size_t j = 0; j < r->secs[i].n; j++) {
			free(r->secs[i].ents[j].key);
			free(r->secs[i].ents[j].val);
		}
		free(r->secs[i].ents);
		free(r->secs[i].name);
	}
	free(r->secs);
	free(r->err);
}

static int
config_read(struct reader *r, const char *text)
{
	int saved = 0, rc;

	r->pos = text;
	if (&ini_max_line != NULL) {
		saved = ini_max_line;
		if (ini_max_line < CONFIG_MAX_LINE)
			ini_max_line = CONFIG_MAX_LINE;
	}
	rc = ini_parse_stream(reader_gets, r, reader_entry, r);
	if (&ini_max_line != NULL)
		ini_max_line = saved;
	if (rc > 0) {
		char *l = text_line(text, rc);
		if (l[0] == '[')
			reader_fail(r, rc, "%s: no closing ] for the section name", l);
		else
			reader_fail(r, rc, "expected [section] or key = value, not \"%s\"", l);
		free(l);
	} else if (rc < 0 && r->err == NULL)
		reader_fail(r, r->lineno, "cannot parse (inih error %d)", rc);
	return r->err != NULL ? -1 : 0;
}

/* ------------------------------------------------------------ second pass: checking */

struct handler_aux {
	int hosts_line;
	int labels_line;
	int keywords_line;
	int default_line;
};

struct ctx {
	const char *name; /* file name for messages */
	struct ygg_config *cfg;
	const struct ini_sec *sec; /* the section being checked */
	char *secname;             /* "[host.x]" for messages */
	struct handler_aux *haux;  /* parallel to cfg->handlers */
	int yggd_line;
	char *err;
};

static int
fail(struct ctx *c, int line, const char *what, const char *fmt, ...) YGG_PRINTF_LIKE(4, 5);

static int
fail(struct ctx *c, int line, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (c->err != NULL)
		return -1;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	c->err = xasprintf("%s:%d: %s: %s", c->name, line, what, msg);
	free(msg);
	return -1;
}

struct key_def;
typedef int key_set_cb(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj);

struct key_def {
	const char *key;
	key_set_cb *set;
	size_t off;     /* field in the object */
	double min, max;
	bool min_open;  /* the value must be more than min, not equal */
	bool multiline; /* may continue on indented lines */
};

#define FIELD(obj, off, type) ((type *)(void *)((char *)(obj) + (off)))

static bool
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* "a/./b//c/" -> "a/b/c"; ".." stays (no realpath: the path may not exist yet). */
static char *
path_normalise(const char *p)
{
	struct buf b;
	bool abs = p[0] == '/';

	buf_init(&b);
	while (*p != '\0') {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p != '\0' && *p != '/')
			p++;
		size_t n = (size_t)(p - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (b.len > 0 || abs)
			buf_addc(&b, '/');
		buf_add(&b, s, n);
	}
	if (b.len == 0)
		buf_adds(&b, abs ? "/" : ".");
	return buf_steal(&b);
}

static char *
path_resolve(const char *dir, const char *p)
{
	char *joined = path_join(dir, p);
	char *norm = path_normalise(joined);

	free(joined);
	return norm;
}

static void
replace_str(char **field, char *v)
{
	free(*field);
	*field = v;
}

static int
set_str(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	if (e->val[0] == '\0')
		return fail(c, e->line, e->key, "must not be empty");
	if (!k->multiline && has_ctl(e->val))
		return fail(c, e->line, e->key, "must not contain control characters");
	replace_str(FIELD(obj, k->off, char *), xstrdup(e->val));
	return 0;
}

static int
set_path(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	if (e->val[0] == '\0')
		return fail(c, e->line, e->key, "must not be empty");
	if (has_ctl(e->val))
		return fail(c, e->line, e->key, "must not contain control characters");
	replace_str(FIELD(obj, k->off, char *), path_resolve(c->cfg->dir, e->val));
	return 0;
}

/* Strict integer: optional sign, digits, nothing else. */
static int
parse_long(const char *s, long long *out)
{
	char *end;

	if (*s == '\0' || is_blank((unsigned char)*s))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0' || end == s)
		return -1;
	if (errno == ERANGE)
		v = v < 0 ? LLONG_MIN : LLONG_MAX;
	*out = v;
	return 0;
}

static int
range_fail(struct ctx *c, const struct key_def *k, const struct ini_ent *e, double v, const char *unit)
{
	if (k->min_open && v <= k->min)
		return fail(c, e->line, e->key, "must be more than %.10g%s, not %s", k->min, unit, e->val);
	if (k->min_open)
		return fail(c, e->line, e->key, "must be at most %.10g%s, not %s", k->max, unit, e->val);
	return fail(c, e->line, e->key, "must be between %.10g and %.10g%s, not %s", k->min, k->max, unit, e->val);
}

static int
set_int(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	long long v;

	if (parse_long(e->val, &v) == -1)
		return fail(c, e->line, e->key, "not a number: \"%s\"", e->val);
	if ((double)v < k->min || (double)v > k->max)
		return range_fail(c, k, e, (double)v, "");
	*FIELD(obj, k->off, int) = (int)v;
	return 0;
}

/* A decimal number (no exponent, no hex) with an optional unit. */
static int
parse_decimal(const char *s, double *out, const char **unit)
{
	const char *p = s;
	bool digits = false;

	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p))
		p++, digits = true;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++, digits = true;
	}
	if (!digits)
		return -1;
	const char *num_end = p;
	while (*p == ' ')
		p++;
	*unit = p;
	char *tmp = xstrndup(s, (size_t)(num_end - s));
	*out = strtod(tmp, NULL);
	free(tmp);
	return isfinite(*out) ? 0 : -1;
}

static int
set_secs(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	const char *unit;
	double v, mult;

	if (parse_decimal(e->val, &v, &unit) == -1)
		return fail(c, e->line, e->key, "not a number of seconds: \"%s\"", e->val);
	if (*unit == '\0' || strcmp(unit, "s") == 0)
		mult = 1;
	else if (strcmp(unit, "ms") == 0)
		mult = 0.001;
	else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
		mult = 60;
	else if (strcmp(unit, "h") == 0)
		mult = 3600;
	else
		return fail(c, e->line, e->key, "unknown unit \"%s\" (seconds, or ms, s, m, h)", unit);
	v *= mult;
	if ((k->min_open ? v <= k->min : v < k->min) || v > k->max)
		return range_fail(c, k, e, v, " seconds");
	*FIELD(obj, k->off, double) = v;
	return 0;
}

static int
set_size(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "", 1 }, { "k", 1024 }, { "K", 1024 }, { "KiB", 1024 }, { "M", 1048576 }, { "MiB", 1048576 },
		{ "G", 1073741824 }, { "GiB", 1073741824 },
	};
	const char *unit;
	double v;
	size_t i;

	if (parse_decimal(e->val, &v, &unit) == -1)
		return fail(c, e->line, e->key, "not a number of bytes: \"%s\"", e->val);
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(unit, units[i].unit) == 0)
			break;
	if (i == sizeof units / sizeof units[0])
		return fail(c, e->line, e->key, "unknown unit \"%s\" (bytes, or K, M, G)", unit);
	v *= units[i].mult;
	if (v != floor(v))
		return fail(c, e->line, e->key, "not a whole number of bytes: \"%s\"", e->val);
	if (v < k->min || v > k->max)
		return range_fail(c, k, e, v, " bytes");
	*FIELD(obj, k->off, size_t) = (size_t)v;
	return 0;
}

static int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "1", "on" };
	static const char *const no[] = { "no", "false", "0", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

static int
set_bool(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	if (parse_bool(e->val, FIELD(obj, k->off, bool)) == -1)
		return fail(c, e->line, e->key, "expected yes or no (true/false, on/off, 1/0), not \"%s\"", e->val);
	return 0;
}

static int
set_store(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	static const char *const names[] = { "auto", "jsonl", "bd" };

	(void)k;
	for (int i = 0; i < 3; i++) {
		if (strcmp(e->val, names[i]) == 0) {
			((struct ygg_config *)obj)->store = (enum store_kind)i;
			return 0;
		}
	}
	return fail(c, e->line, e->key, "expected auto, jsonl or bd, not \"%s\"", e->val);
}

static int
set_sort(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	(void)k;
	if (sort_kind_parse(e->val, &((struct ygg_config *)obj)->sort) == -1)
		return fail(c, e->line, e->key, "expected priority, oldest or hybrid, not \"%s\"", e->val);
	return 0;
}

static int
set_api(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	(void)k;
	if (strcmp(e->val, "ollama") == 0)
		((struct host_conf *)obj)->api = API_OLLAMA;
	else if (strcmp(e->val, "openai") == 0)
		((struct host_conf *)obj)->api = API_OPENAI;
	else
		return fail(c, e->line, e->key, "expected ollama or openai, not \"%s\"", e->val);
	return 0;
}

/* "7411" -> 0 when 1..65535. */
static int
port_check(const char *s, size_t n)
{
	long v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? 0 : -1;
}

static bool
host_char(int ch)
{
	return isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '%';
}

/*
 * The host[:port] or [v6][:port] of a URL: 0, or -1 with a static reason.
 */
static int
authority_check(const char *s, size_t n, const char **why)
{
	const char *end = s + n, *p, *hend;

	if (n > 0 && s[0] == '[') {
		hend = memchr(s, ']', n);
		if (hend == NULL)
			return *why = "no closing ] after the IPv6 address", -1;
		if (hend == s + 1)
			return *why = "no host name", -1;
		for (p = s + 1; p < hend; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.' && *p != '%')
				return *why = "bad IPv6 address", -1;
		p = hend + 1;
	} else {
		for (p = s; p < end && *p != ':'; p++)
			if (!host_char((unsigned char)*p))
				return *why = "bad character in the host name", -1;
		if (p == s)
			return *why = "no host name", -1;
	}
	if (p == end)
		return 0;
	if (*p != ':')
		return *why = "unexpected text after the host", -1;
	p++;
	if (memchr(p, ':', (size_t)(end - p)) != NULL)
		return *why = "too many colons (write an IPv6 address as [addr]:port)", -1;
	if (port_check(p, (size_t)(end - p)) == -1)
		return *why = "the port must be a number from 1 to 65535", -1;
	return 0;
}

/*
 * control.c owns the syntax (control_addr_parse): checking with it here gives
 * the operator FILE:LINE at start-up instead of a failure to listen later.
 */
static int
set_control(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	struct ygg_config *cfg = obj;
	struct control_addr addr;
	char *spec, *why = NULL;

	(void)k;
	if (e->val[0] == '\0')
		return fail(c, e->line, e->key, "must not be empty (off turns the control API off)");
	if (strncmp(e->val, "unix:", 5) == 0 && e->val[5] != '\0') {
		char *abs = path_resolve(cfg->dir, e->val + 5);
		spec = xasprintf("unix:%s", abs);
		free(abs);
	} else
		spec = xstrdup(e->val);
	if (control_addr_parse(spec, &addr, &why) == -1) {
		/* its messages start "control = VALUE: "; the key is in ours already */
		char *prefix = xasprintf("control = %s: ", spec);
		const char *msg = why != NULL ? why : "not a control address";
		if (strncmp(msg, prefix, strlen(prefix)) == 0)
			msg += strlen(prefix);
		fail(c, e->line, e->key, "%s (\"%s\")", msg, e->val);
		free(prefix);
		free(why);
		free(spec);
		return -1;
	}
	control_addr_clear(&addr);
	replace_str(&cfg->control, spec);
	return 0;
}

static int
set_url(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	const char *v = e->val, *rest, *auth_end, *why = NULL;
	size_t len;

	(void)k;
	if (strncmp(v, "http://", 7) == 0)
		rest = v + 7;
	else if (strncmp(v, "https://", 8) == 0)
		rest = v + 8;
	else
		return fail(c, e->line, e->key, "must start with http:// or https://, not \"%s\"", v);
	for (const char *p = v; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return fail(c, e->line, e->key, "must not contain spaces or control characters");
		if (*p == '?' || *p == '#')
			return fail(c, e->line, e->key,
			    "must not have a query or fragment (yggd appends the API path): \"%s\"", v);
	}
	auth_end = rest + strcspn(rest, "/");
	/* user:password@ is allowed; the host comes after the last @ */
	const char *at = NULL;
	for (const char *p = rest; p < auth_end; p++)
		if (*p == '@')
			at = p;
	const char *host = at != NULL ? at + 1 : rest;
	if (authority_check(host, (size_t)(auth_end - host), &why) == -1)
		return fail(c, e->line, e->key, "%s in \"%s\"", why, v);
	len = strlen(v);
	while (len > 0 && v[len - 1] == '/')
		len--;
	replace_str(&((struct host_conf *)obj)->url, xstrndup(v, len));
	return 0;
}

static int
set_options(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t len = strlen(e->val);
	int rc = 0;

	(void)k;
	if (e->val[0] != '{')
		return fail(c, e->line, e->key, "must be a JSON object like {\"num_ctx\": 8192}, not \"%s\"", e->val);
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, e->val, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (o == NULL && jerr == json_tokener_continue)
		rc = fail(c, e->line, e->key, "not valid JSON: the object is not closed");
	else if (o == NULL)
		rc = fail(c, e->line, e->key, "not valid JSON: %s at character %zu", json_tokener_error_desc(jerr),
		    end + 1);
	else {
		while (end < len && is_blank((unsigned char)e->val[end]))
			end++;
		if (end < len)
			rc = fail(c, e->line, e->key, "not valid JSON: unexpected text after the object: \"%s\"",
			    e->val + end);
		else if (!json_object_is_type(o, json_type_object))
			rc = fail(c, e->line, e->key, "must be a JSON object like {\"num_ctx\": 8192}");
	}
	json_object_put(o);
	json_tokener_free(tok);
	if (rc == 0)
		replace_str(&((struct host_conf *)obj)->options, xstrdup(e->val));
	return rc;
}

static const struct ini_ent *
sec_find(const struct ini_sec *sec, const char *key)
{
	for (size_t i = 0; i < sec->n; i++)
		if (strcmp(sec->ents[i].key, key) == 0)
			return &sec->ents[i];
	return NULL;
}

static int
set_key_env(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	const char *p = e->val;

	if (!(isalpha((unsigned char)*p) || *p == '_'))
		return fail(c, e->line, e->key, "not an environment variable name: \"%s\"", e->val);
	for (; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return fail(c, e->line, e->key, "not an environment variable name: \"%s\"", e->val);
	return set_str(c, k, e, obj);
}

/* api_key_env and api_key_file both set: one key, one source. */
static int
key_source_check(struct ctx *c, const struct ini_ent *e)
{
	const char *other = strcmp(e->key, "api_key_env") == 0 ? "api_key_file" : "api_key_env";
	const struct ini_ent *o = sec_find(c->sec, other);

	if (o != NULL && o->line < e->line)
		return fail(c, e->line, e->key, "%s is set too (line %d): use one or the other", other, o->line);
	return 0;
}

static int
set_key_source(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	if (key_source_check(c, e) == -1)
		return -1;
	if (strcmp(e->key, "api_key_env") == 0)
		return set_key_env(c, k, e, obj);
	return set_path(c, k, e, obj);
}

static int
set_bd(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	/* A bare name is looked up on PATH; anything with a slash is a path. */
	if (strchr(e->val, '/') != NULL)
		return set_path(c, k, e, obj);
	return set_str(c, k, e, obj);
}

static int
set_hosts(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	struct handler_conf *h = obj;
	char **list;
	size_t n = split_list(e->val, &list);

	(void)k;
	if (n == 0) {
		free_list(list);
		return fail(c, e->line, e->key, "must name at least one [host.NAME]");
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(list[i], list[j]) == 0) {
				fail(c, e->line, e->key, "%s is listed twice", list[i]);
				free_list(list);
				return -1;
			}
		}
	}
	free_list(h->hosts);
	h->hosts = list;
	h->nhosts = n;
	c->haux[c->cfg->nhandlers - 1].hosts_line = e->line;
	return 0;
}

/* Is word listed by an earlier handler's labels (labels) or keywords? */
static int
list_dup_check(struct ctx *c, const struct ini_ent *e, const char *word, bool labels)
{
	for (size_t i = 0; i + 1 < c->cfg->nhandlers; i++) {
		const struct handler_conf *o = &c->cfg->handlers[i];
		char **l = labels ? o->labels : o->keywords;
		for (size_t j = 0; l != NULL && l[j] != NULL; j++) {
			if (strcasecmp(l[j], word) == 0)
				return fail(c, e->line, e->key, "\"%s\" is already listed by [handler.%s] (line %d)", word,
				    o->type, labels ? c->haux[i].labels_line : c->haux[i].keywords_line);
		}
	}
	return 0;
}

static int
set_labels(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	struct handler_conf *h = obj;
	char **list;

	(void)k;
	split_list(e->val, &list);
	for (size_t i = 0; list[i] != NULL; i++) {
		if (has_ctl(list[i]) || strchr(list[i], ' ') != NULL) {
			fail(c, e->line, e->key, "\"%s\": a label has no spaces", list[i]);
			free_list(list);
			return -1;
		}
		if (list_dup_check(c, e, list[i], true) == -1) {
			free_list(list);
			return -1;
		}
	}
	free_list(h->labels);
	h->labels = list;
	c->haux[c->cfg->nhandlers - 1].labels_line = e->line;
	return 0;
}

static int
set_keywords(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	struct handler_conf *h = obj;
	char **list;

	(void)k;
	split_list(e->val, &list);
	for (size_t i = 0; list[i] != NULL; i++) {
		const char *pos = list[i], *w;
		/* a keyword must be one word as route.c splits titles, or it never matches */
		if (route_next_word(&pos, &w) != strlen(list[i])) {
			fail(c, e->line, e->key, "\"%s\" is not one word: titles are split at anything but letters and digits",
			    list[i]);
			free_list(list);
			return -1;
		}
		for (char *p = list[i]; *p != '\0'; p++)
			if ((unsigned char)*p < 0x80)
				*p = (char)tolower((unsigned char)*p);
		if (list_dup_check(c, e, list[i], false) == -1) {
			free_list(list);
			return -1;
		}
	}
	free_list(h->keywords);
	h->keywords = list;
	c->haux[c->cfg->nhandlers - 1].keywords_line = e->line;
	return 0;
}

static int
set_default(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	struct handler_conf *h = obj;

	if (set_bool(c, k, e, obj) == -1)
		return -1;
	if (!h->is_default)
		return 0;
	for (size_t i = 0; i + 1 < c->cfg->nhandlers; i++) {
		if (c->cfg->handlers[i].is_default)
			return fail(c, e->line, e->key, "[handler.%s] is already the default (line %d)",
			    c->cfg->handlers[i].type, c->haux[i].default_line);
	}
	c->haux[c->cfg->nhandlers - 1].default_line = e->line;
	return 0;
}

static bool
name_ok(const char *s, const char *extra)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || strchr(extra, *s) != NULL))
			return false;
	return true;
}

static int
set_plugin(struct ctx *c, const struct key_def *k, const struct ini_ent *e, void *obj)
{
	if (!name_ok(e->val, "_-"))
		return fail(c, e->line, e->key, "a plugin name is [a-z0-9_-]+, not \"%s\"", e->val);
	return set_str(c, k, e, obj);
}

#define CFG(f) offsetof(struct ygg_config, f)
#define HOST(f) offsetof(struct host_conf, f)
#define HND(f) offsetof(struct handler_conf, f)

static const struct key_def yggd_keys[] = {
	{ "store", set_store, 0, 0, 0, false, false },
	{ "beads_dir", set_path, CFG(beads_dir), 0, 0, false, false },
	{ "plugin_dir", set_path, CFG(plugin_dir), 0, 0, false, false },
	{ "artifacts_dir", set_path, CFG(artifacts_dir), 0, 0, false, false },
	{ "control", set_control, 0, 0, 0, false, false },
	{ "control_token_file", set_path, CFG(control_token_file), 0, 0, false, false },
	{ "sort", set_sort, 0, 0, 0, false, false },
	{ "poll_interval", set_secs, CFG(poll_interval), 0, SECONDS_MAX, true, false },
	{ "assignee", set_str, CFG(assignee), 0, 0, false, false },
	{ "max_attempts", set_int, CFG(max_attempts), 1, 100, false, false },
	{ "shutdown_grace", set_secs, CFG(shutdown_grace), 0, SECONDS_MAX, false, false },
	{ "max_response_bytes", set_size, CFG(max_response_bytes), 1, BYTES_MAX, false, false },
	{ "max_comment_bytes", set_size, CFG(max_comment_bytes), 1, BYTES_MAX, false, false },
	{ "fail_threshold", set_int, CFG(fail_threshold), 1, 1000, false, false },
	{ "health_interval", set_secs, CFG(health_interval), 0, SECONDS_MAX, true, false },
	{ "backoff_base", set_secs, CFG(backoff_base), 0, SECONDS_MAX, false, false },
	{ "backoff_max", set_secs, CFG(backoff_max), 0, SECONDS_MAX, false, false },
	{ "bd", set_bd, CFG(bd_path), 0, 0, false, false },
	{ "bd_timeout", set_secs, CFG(bd_timeout), 0, SECONDS_MAX, true, false },
	{ NULL, NULL, 0, 0, 0, false, false },
};

static const struct key_def host_keys[] = {
	{ "url", set_url, 0, 0, 0, false, false },
	{ "api", set_api, 0, 0, 0, false, false },
	{ "model", set_str, HOST(model), 0, 0, false, false },
	{ "slots", set_int, HOST(slots), 1, SLOTS_MAX, false, false },
	{ "timeout", set_secs, HOST(timeout), 0, SECONDS_MAX, true, false },
	{ "connect_timeout", set_secs, HOST(connect_timeout), 0, SECONDS_MAX, true, false },
	{ "idle_timeout", set_secs, HOST(idle_timeout), 0, SECONDS_MAX, true, false },
	{ "api_key_env", set_key_source, HOST(api_key_env), 0, 0, false, false },
	{ "api_key_file", set_key_source, HOST(api_key_file), 0, 0, false, false },
	{ "options", set_options, 0, 0, 0, false, true },
	{ "fail_threshold", set_int, HOST(fail_threshold), 1, 1000, false, false },
	{ "health_interval", set_secs, HOST(health_interval), 0, SECONDS_MAX, true, false },
	{ NULL, NULL, 0, 0, 0, false, false },
};

static const struct key_def handler_keys[] = {
	{ "hosts", set_hosts, 0, 0, 0, false, false },
	{ "labels", set_labels, 0, 0, 0, false, false },
	{ "keywords", set_keywords, 0, 0, 0, false, false },
	{ "default", set_default, HND(is_default), 0, 0, false, false },
	{ "plugin", set_plugin, HND(plugin), 0, 0, false, false },
	{ "system_prompt", set_str, HND(system_prompt), 0, 0, false, true },
	{ "max_attempts", set_int, HND(max_attempts), 1, 100, false, false },
	{ "timeout", set_secs, HND(timeout), 0, SECONDS_MAX, true, false },
	{ NULL, NULL, 0, 0, 0, false, false },
};

static const struct key_def *
key_find(const struct key_def *keys, const char *key)
{
	for (; keys->key != NULL; keys++)
		if (strcmp(keys->key, key) == 0)
			return keys;
	return NULL;
}

/* Optimal string alignment distance, for "did you mean". */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	size_t d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

static const char *
near_key(const struct key_def *keys, const char *key)
{
	size_t limit = strlen(key) <= 4 ? 1 : 2;

	for (; keys->key != NULL; keys++)
		if (edit_distance(keys->key, key) <= limit)
			return keys->key;
	return NULL;
}

static int
unknown_key(struct ctx *c, const struct key_def *keys, const struct ini_ent *e)
{
	const char *near = near_key(keys, e->key);

	if (near != NULL)
		return fail(c, e->line, e->key, "unknown key in %s (did you mean %s?)", c->secname, near);
	return fail(c, e->line, e->key, "unknown key in %s", c->secname);
}

/*
 * A handler section also carries keys for its plugin (task_config): any other
 * lower-case key is passed through, except ones that are plainly misplaced or
 * misspelt core keys, which would otherwise be ignored without a word.
 */
static int
plugin_key_check(struct ctx *c, const struct ini_ent *e)
{
	const char *near;

	if (!name_ok(e->key, "_") || !islower((unsigned char)e->key[0]))
		return fail(c, e->line, e->key, "unknown key in %s (a plugin's own keys are [a-z][a-z0-9_]*)",
		    c->secname);
	if (key_find(host_keys, e->key) != NULL)
		return fail(c, e->line, e->key, "belongs in a [host.NAME] section; a handler picks hosts with hosts =");
	if (key_find(yggd_keys, e->key) != NULL)
		return fail(c, e->line, e->key, "belongs in the [yggd] section");
	near = near_key(handler_keys, e->key);
	if (near != NULL)
		return fail(c, e->line, e->key, "unknown key in %s (did you mean %s?)", c->secname, near);
	return 0;
}

/* Check every key of the current section against keys and store it in obj. */
static int
section_apply(struct ctx *c, const struct key_def *keys, void *obj, bool plugin_keys)
{
	const struct ini_sec *sec = c->sec;

	for (size_t i = 0; i < sec->n; i++) {
		const struct ini_ent *e = &sec->ents[i];
		const struct key_def *k = key_find(keys, e->key);

		for (size_t j = 0; j < i; j++)
			if (strcmp(sec->ents[j].key, e->key) == 0)
				return fail(c, e->line, e->key, "set twice in %s (first at line %d)", c->secname,
				    sec->ents[j].line);
		if (k == NULL) {
			if (!plugin_keys)
				return unknown_key(c, keys, e);
			if (plugin_key_check(c, e) == -1)
				return -1;
			continue;
		}
		if (e->cont_line != 0 && !k->multiline)
			return fail(c, e->cont_line, e->key,
			    "the value continues on an indented line; only system_prompt, options and plugin keys "
			    "may span lines (unindent the line if it is a key of its own)");
		if (k->set(c, k, e, obj) == -1)
			return -1;
	}
	return 0;
}

static int
missing_check(struct ctx *c, const char *const *required)
{
	struct buf b;
	size_t n = 0;

	buf_init(&b);
	for (size_t i = 0; required[i] != NULL; i++) {
		if (sec_find(c->sec, required[i]) == NULL) {
			buf_printf(&b, "%s%s", n > 0 ? ", " : "", required[i]);
			n++;
		}
	}
	if (n > 0)
		fail(c, c->sec->line, c->secname, "missing required key%s %s", n > 1 ? "s" : "", b.p);
	buf_free(&b);
	return n > 0 ? -1 : 0;
}

static int
section_yggd(struct ctx *c)
{
	if (c->yggd_line != 0)
		return fail(c, c->sec->line, c->secname, "given twice (first at line %d)", c->yggd_line);
	c->yggd_line = c->sec->line;
	if (section_apply(c, yggd_keys, c->cfg, false) == -1)
		return -1;
	if (c->cfg->backoff_max < c->cfg->backoff_base) {
		const struct ini_ent *e = sec_find(c->sec, "backoff_max");
		if (e == NULL)
			e = sec_find(c->sec, "backoff_base");
		return fail(c, e->line, e->key, "backoff_max (%g) must not be less than backoff_base (%g)",
		    c->cfg->backoff_max, c->cfg->backoff_base);
	}
	return 0;
}

static int
section_host(struct ctx *c, const char *name)
{
	static const char *const required[] = { "url", "api", "model", "slots", NULL };
	struct ygg_config *cfg = c->cfg;
	struct host_conf *h;

	if (*name == '\0' || strlen(name) > 64)
		return fail(c, c->sec->line, c->secname, "a host name is 1 to 64 of [A-Za-z0-9_.-]");
	for (const char *p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL)
			return fail(c, c->sec->line, c->secname, "a host name is 1 to 64 of [A-Za-z0-9_.-]");
	for (size_t i = 0; i < cfg->nhosts; i++)
		if (strcmp(cfg->hosts[i].name, name) == 0)
			return fail(c, c->sec->line, c->secname, "host %s is already defined at line %d", name,
			    cfg->hosts[i].line);
	cfg->hosts = xrealloc(cfg->hosts, (cfg->nhosts + 1) * sizeof *cfg->hosts);
	h = &cfg->hosts[cfg->nhosts++];
	memset(h, 0, sizeof *h);
	h->name = xstrdup(name);
	h->line = c->sec->line;
	h->timeout = 600;
	h->connect_timeout = 10;
	h->idle_timeout = 120;
	h->fail_threshold = -1;   /* from [yggd], wherever it is in the file */
	h->health_interval = -1;
	if (section_apply(c, host_keys, h, false) == -1)
		return -1;
	return missing_check(c, required);
}

static bool
is_task_type(const char *s)
{
	for (size_t i = 0; ygg_task_types[i] != NULL; i++)
		if (strcmp(ygg_task_types[i], s) == 0)
			return true;
	return false;
}

static int
section_handler(struct ctx *c, const char *type)
{
	static const char *const required[] = { "hosts", NULL };
	struct ygg_config *cfg = c->cfg;
	struct handler_conf *h;
	size_t nkv = 0;

	if (!name_ok(type, "-"))
		return fail(c, c->sec->line, c->secname, "a task type is [a-z0-9-]+");
	if (!is_task_type(type) && sec_find(c->sec, "plugin") == NULL)
		return fail(c, c->sec->line, c->secname,
		    "%s is not a task type (code-generation, text-processing, reasoning, summarize, general, "
		    "artifact); a handler for a type of your own needs plugin = NAME",
		    type);
	for (size_t i = 0; i < cfg->nhandlers; i++)
		if (strcmp(cfg->handlers[i].type, type) == 0)
			return fail(c, c->sec->line, c->secname, "a handler for %s is already defined at line %d", type,
			    cfg->handlers[i].line);
	cfg->handlers = xrealloc(cfg->handlers, (cfg->nhandlers + 1) * sizeof *cfg->handlers);
	c->haux = xrealloc(c->haux, (cfg->nhandlers + 1) * sizeof *c->haux);
	memset(&c->haux[cfg->nhandlers], 0, sizeof *c->haux);
	h = &cfg->handlers[cfg->nhandlers++];
	memset(h, 0, sizeof *h);
	h->type = xstrdup(type);
	h->line = c->sec->line;
	h->hosts = xcalloc(1, sizeof *h->hosts);
	h->labels = xcalloc(1, sizeof *h->labels);
	h->keywords = xcalloc(1, sizeof *h->keywords);
	h->kv = xcalloc(c->sec->n * 2 + 1, sizeof *h->kv);
	for (size_t i = 0; i < c->sec->n; i++) {
		h->kv[nkv++] = xstrdup(c->sec->ents[i].key);
		h->kv[nkv++] = xstrdup(c->sec->ents[i].val);
	}
	if (section_apply(c, handler_keys, h, true) == -1)
		return -1;
	return missing_check(c, required);
}

static int
section_check(struct ctx *c, const struct ini_sec *sec)
{
	c->sec = sec;
	free(c->secname);
	c->secname = xasprintf("[%s]", sec->name);
	if (strcmp(sec->name, "yggd") == 0)
		return section_yggd(c);
	if (strncmp(sec->name, "host.", 5) == 0)
		return section_host(c, sec->name + 5);
	if (strncmp(sec->name, "handler.", 8) == 0)
		return section_handler(c, sec->name + 8);
	return fail(c, sec->line, c->secname, "unknown section (expected [yggd], [host.NAME] or [handler.TYPE])");
}

/* What spans sections: host defaults from [yggd], the hosts handlers name. */
static int
config_finish(struct ctx *c)
{
	struct ygg_config *cfg = c->cfg;

	for (size_t i = 0; i < cfg->nhosts; i++) {
		if (cfg->hosts[i].fail_threshold < 0)
			cfg->hosts[i].fail_threshold = cfg->fail_threshold;
		if (cfg->hosts[i].health_interval < 0)
			cfg->hosts[i].health_interval = cfg->health_interval;
	}
	for (size_t i = 0; i < cfg->nhandlers; i++) {
		const struct handler_conf *h = &cfg->handlers[i];
		for (size_t j = 0; j < h->nhosts; j++)
			if (config_host(cfg, h->hosts[j]) == NULL)
				return fail(c, c->haux[i].hosts_line, "hosts", "no [host.%s] section defines host %s",
				    h->hosts[j], h->hosts[j]);
	}
	return 0;
}

static struct ygg_config *
config_defaults(const char *path, const char *dir)
{
	struct ygg_config *cfg = xcalloc(1, sizeof *cfg);

	cfg->path = xstrdup(path);
	cfg->dir = path_normalise(dir);
	cfg->store = STORE_AUTO;
	cfg->beads_dir = path_resolve(cfg->dir, ".beads");
	cfg->plugin_dir = path_resolve(cfg->dir, "plugins");
	cfg->artifacts_dir = path_resolve(cfg->dir, "artifacts");
	cfg->control = xstrdup("127.0.0.1:7411");
	cfg->sort = SORT_PRIORITY;
	cfg->poll_interval = 2;
	cfg->assignee = xstrdup("yggd");
	cfg->max_attempts = 3;
	cfg->shutdown_grace = 30;
	cfg->max_response_bytes = 8u << 20;
	cfg->max_comment_bytes = 16u << 10;
	cfg->fail_threshold = 3;
	cfg->health_interval = 10;
	cfg->backoff_base = 2;
	cfg->backoff_max = 300;
	cfg->bd_path = xstrdup("bd");
	cfg->bd_timeout = 30;
	return cfg;
}

/* dir made absolute against the working directory. */
static char *
dir_absolute(const char *dir)
{
	char cwd[PATH_MAX];

	if (dir != NULL && dir[0] == '/')
		return path_normalise(dir);
	if (getcwd(cwd, sizeof cwd) == NULL)
		strcpy(cwd, "/");
	return path_resolve(cwd, dir != NULL && dir[0] != '\0' ? dir : ".");
}

static int
config_build(const char *text, const char *name, const char *path, const char *dir, struct ygg_config **out,
    char **cause)
{
	struct reader r;
	struct ctx c;
	char *absdir = dir_absolute(dir);

	*out = NULL;
	memset(&r, 0, sizeof r);
	r.name = name;
	memset(&c, 0, sizeof c);
	c.name = name;
	c.cfg = config_defaults(path, absdir);
	free(absdir);
	if (config_read(&r, text != NULL ? text : "") == 0) {
		for (size_t i = 0; i < r.nsecs && c.err == NULL; i++)
			section_check(&c, &r.secs[i]);
		if (c.err == NULL)
			config_finish(&c);
	} else {
		c.err = r.err;
		r.err = NULL;
	}
	reader_clear(&r);
	free(c.secname);
	free(c.haux);
	if (c.err != NULL) {
		config_free(c.cfg);
		if (cause != NULL)
			*cause = c.err;
		else
			free(c.err);
		return -1;
	}
	*out = c.cfg;
	return 0;
}

int
config_parse(const char *text, const char *name, const char *dir, struct ygg_config **out, char **cause)
{
	if (name == NULL)
		name = "(config)";
	return config_build(text, name, name, dir, out, cause);
}

int
config_load(const char *path, struct ygg_config **out, char **cause)
{
	char *data, *abs, *dir, *slash;
	size_t len;
	int rc;

	*out = NULL;
	if (read_file(path, &data, &len) == -1) {
		if (cause != NULL)
			*cause = xasprintf("%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	const char *nul = memchr(data, '\0', len);
	if (nul != NULL) {
		int line = 1;
		for (const char *p = data; p < nul; p++)
			line += *p == '\n';
		if (cause != NULL)
			*cause = xasprintf("%s:%d: contains a NUL byte: not a text file", path, line);
		free(data);
		return -1;
	}
	dir = dir_absolute(NULL);
	abs = path_resolve(dir, path);
	free(dir);
	dir = xstrdup(abs);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	rc = config_build(data, path, abs, dir, out, cause);
	free(abs);
	free(dir);
	free(data);
	return rc;
}

static void
handler_clear(struct handler_conf *h)
{
	free(h->type);
	free(h->plugin);
	free_list(h->hosts);
	free_list(h->labels);
	free_list(h->keywords);
	free(h->system_prompt);
	free_list(h->kv);
}

static void
host_clear(struct host_conf *h)
{
	free(h->name);
	free(h->url);
	free(h->model);
	free(h->api_key_env);
	free(h->api_key_file);
	free(h->options);
}

void
config_free(struct ygg_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nhosts; i++)
		host_clear(&cfg->hosts[i]);
	free(cfg->hosts);
	for (size_t i = 0; i < cfg->nhandlers; i++)
		handler_clear(&cfg->handlers[i]);
	free(cfg->handlers);
	free(cfg->path);
	free(cfg->dir);
	free(cfg->beads_dir);
	free(cfg->plugin_dir);
	free(cfg->artifacts_dir);
	free(cfg->control);
	free(cfg->control_token_file);
	free(cfg->assignee);
	free(cfg->bd_path);
	free(cfg);
}

const struct host_conf *
config_host(const struct ygg_config *cfg, const char *name)
{
	for (size_t i = 0; cfg != NULL && name != NULL && i < cfg->nhosts; i++)
		if (strcmp(cfg->hosts[i].name, name) == 0)
			return &cfg->hosts[i];
	return NULL;
}

const struct handler_conf *
config_handler(const struct ygg_config *cfg, const char *type)
{
	for (size_t i = 0; cfg != NULL && type != NULL && i < cfg->nhandlers; i++)
		if (strcmp(cfg->handlers[i].type, type) == 0)
			return &cfg->handlers[i];
	return NULL;
}

const char *
api_kind_name(enum api_kind api)
{
	return api == API_OPENAI ? "openai" : "ollama";
}

const char *
sort_kind_name(enum sort_kind sort)
{
	switch (sort) {
	case SORT_OLDEST:
		return "oldest";
	case SORT_HYBRID:
		return "hybrid";
	case SORT_PRIORITY:
	default:
		return "priority";
	}
}

int
sort_kind_parse(const char *s, enum sort_kind *out)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "priority") == 0)
		*out = SORT_PRIORITY;
	else if (strcmp(s, "oldest") == 0)
		*out = SORT_OLDEST;
	else if (strcmp(s, "hybrid") == 0)
		*out = SORT_HYBRID;
	else
		return -1;
	return 0;
}
