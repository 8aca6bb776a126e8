/*
 * json_line.c - a lossless view of one JSONL line: strict validation (RFC 8259)
 * that records where each top-level member sits, string decoding, iteration
 * over nested arrays and objects, and patches that rewrite only the members
 * they name. Nothing is built into a tree: a 150 MB tracker is scanned once and
 * only the strings an issue needs are ever decoded.
 */
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

/* Go's decoder refuses nesting past 10000 levels; so do we (bd could not read it). */
#define JSON_MAX_DEPTH 10000

struct scan {
	const char *p;
	const char *end;
	const char *err;    /* static text */
	const char *err_at; /* where it went wrong */
	/* open containers ('{' or '['): a small inline stack, the heap past it */
	unsigned char small[64];
	unsigned char *stack;
	size_t depth, cap;
};

static void
scan_init(struct scan *s, const char *p, size_t len)
{
	s->p = p;
	s->end = p + len;
	s->err = NULL;
	s->err_at = p;
	s->stack = s->small;
	s->depth = 0;
	s->cap = sizeof s->small;
}

static void
scan_done(struct scan *s)
{
	if (s->stack != s->small)
		free(s->stack);
	s->stack = s->small;
	s->cap = sizeof s->small;
}

static int
scan_fail(struct scan *s, const char *at, const char *why)
{
	s->err = why;
	s->err_at = at;
	return -1;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && is_ws(*s->p))
		s->p++;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (at least 4 bytes available) -> 0..0xffff, or -1. */
static long
hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hex_val(p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static int
push(struct scan *s, unsigned char c)
{
	if (s->depth + 1 >= JSON_MAX_DEPTH)
		return scan_fail(s, s->p, "nested deeper than 10000 levels");
	if (s->depth == s->cap) {
		size_t cap = s->cap * 2;
		unsigned char *n = xmalloc(cap);
		memcpy(n, s->stack, s->depth);
		if (s->stack != s->small)
			free(s->stack);
		s->stack = n;
		s->cap = cap;
	}
	s->stack[s->depth++] = c;
	return 0;
}

/*
 * Eight bytes at a time (SWAR): does the word at p hold a byte that ends a
 * plain run of string text? Quotes, backslashes and control characters always
 * do; with high set, so does any byte >= 0x80. Exact as an "any" test, which
 * is all the callers ask before looking byte by byte.
 */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static uint64_t
word_stops(const char *p, bool high)
{
	uint64_t w, q, b, c;

	memcpy(&w, p, 8);
	q = w ^ (ONES * '"');
	b = w ^ (ONES * '\\');
	c = (w - ONES * 0x20) & ~w;              /* a byte below 0x20 */
	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | c | (high ? w : 0)) & HIGHS;
}

/*
 * A string literal at s->p (which is '"'). Bytes of 0x80 and above are taken
 * as they come, as Go's scanner (and so bd) does: invalid UTF-8 is not a
 * reason to refuse a line bd itself reads; decoding turns it into U+FFFD.
 */
static int
scan_string(struct scan *s)
{
	const char *p = s->p + 1, *end = s->end;

	for (;;) {
		while (end - p >= 8 && word_stops(p, false) == 0)
			p += 8;
		while (p < end && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\')
			p++;
		if (p == end)
			return scan_fail(s, s->p, "unterminated string");
		if (*p == '"') {
			s->p = p + 1;
			return 0;
		}
		if (*p != '\\')
			return scan_fail(s, p, "control character in string");
		if (p + 1 == end)
			return scan_fail(s, s->p, "unterminated string");
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			break;
		case 'u':
			if (end - p < 6 || hex4(p + 2) < 0)
				return scan_fail(s, p, "bad \\u escape in string");
			p += 6;
			break;
		default:
			return scan_fail(s, p, "bad escape in string");
		}
	}
}

static int
scan_number(struct scan *s)
{
	const char *p = s->p, *end = s->end;

	if (p < end && *p == '-')
		p++;
	if (p == end || !is_digit(*p))
		return scan_fail(s, s->p, "bad number");
	if (*p == '0')
		p++;
	else
		while (p < end && is_digit(*p))
			p++;
	if (p < end && *p == '.') {
		p++;
		if (p == end || !is_digit(*p))
			return scan_fail(s, s->p, "bad number");
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !is_digit(*p))
			return scan_fail(s, s->p, "bad number");
		while (p < end && is_digit(*p))
			p++;
	}
	s->p = p;
	return 0;
}

static int
scan_literal(struct scan *s, const char *word, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return scan_fail(s, s->p, "unexpected character");
	s->p += n;
	return 0;
}

/* A member's key and the colon after it; s->p ends at the value (after whitespace). */
static int
scan_key(struct scan *s)
{
	skip_ws(s);
	if (s->p == s->end)
		return scan_fail(s, s->p, "unexpected end of line");
	if (*s->p != '"')
		return scan_fail(s, s->p, "expected a string key");
	if (scan_string(s) == -1)
		return -1;
	skip_ws(s);
	if (s->p == s->end || *s->p != ':')
		return scan_fail(s, s->p, "expected ':' after key");
	s->p++;
	return 0;
}

/*
 * One complete value at s->p (leading whitespace allowed), with an explicit
 * stack of open containers so that depth costs memory, not C stack.
 */
static int
scan_value(struct scan *s)
{
	size_t base = s->depth;

	for (;;) {
		skip_ws(s);
		if (s->p == s->end)
			return scan_fail(s, s->p, "unexpected end of line");
		switch (*s->p) {
		case '{':
			s->p++;
			skip_ws(s);
			if (s->p < s->end && *s->p == '}') {
				s->p++;
				break;
			}
			if (push(s, '{') == -1 || scan_key(s) == -1)
				return -1;
			continue;
		case '[':
			s->p++;
			skip_ws(s);
			if (s->p < s->end && *s->p == ']') {
				s->p++;
				break;
			}
			if (push(s, '[') == -1)
				return -1;
			continue;
		case '"':
			if (scan_string(s) == -1)
				return -1;
			break;
		case 't':
			if (scan_literal(s, "true", 4) == -1)
				return -1;
			break;
		case 'f':
			if (scan_literal(s, "false", 5) == -1)
				return -1;
			break;
		case 'n':
			if (scan_literal(s, "null", 4) == -1)
				return -1;
			break;
		default:
			if (*s->p != '-' && !is_digit(*s->p))
				return scan_fail(s, s->p, "unexpected character");
			if (scan_number(s) == -1)
				return -1;
			break;
		}
		/* A value ended: close what it ends, or go on to the next element. */
		for (;;) {
			if (s->depth == base)
				return 0;
			skip_ws(s);
			if (s->p == s->end)
				return scan_fail(s, s->p, "unexpected end of line");
			unsigned char top = s->stack[s->depth - 1];
			if (*s->p == ',') {
				s->p++;
				if (top == '{' && scan_key(s) == -1)
					return -1;
				break;
			}
			if ((top == '{' && *s->p == '}') || (top == '[' && *s->p == ']')) {
				s->p++;
				s->depth--;
				continue;
			}
			return scan_fail(s, s->p, top == '{' ? "expected ',' or '}' in object" :
			    "expected ',' or ']' in array");
		}
	}
}

static void
add_member(struct json_line *jl, const char *key, size_t key_len, const char *val, size_t val_len)
{
	if (jl->n == jl->cap) {
		jl->cap = jl->cap ? jl->cap * 2 : 16;
		jl->m = xrealloc(jl->m, jl->cap * sizeof *jl->m);
	}
	jl->m[jl->n].key = key;
	jl->m[jl->n].key_len = key_len;
	jl->m[jl->n].val = val;
	jl->m[jl->n].val_len = val_len;
	jl->n++;
}

int
json_line_scan(struct json_line *jl, const char *text, size_t len)
{
	struct scan s;
	int rc = -1;

	jl->text = text;
	jl->len = len;
	jl->n = 0;
	jl->error = NULL;
	jl->error_at = 0;
	scan_init(&s, text, len);
	skip_ws(&s);
	if (s.p == s.end) {
		scan_fail(&s, s.p, "empty line");
		goto out;
	}
	if (*s.p != '{') {
		scan_fail(&s, s.p, "not an object");
		goto out;
	}
	s.p++;
	skip_ws(&s);
	if (s.p < s.end && *s.p == '}')
		s.p++;
	else {
		for (;;) {
			if (s.p == s.end) {
				scan_fail(&s, s.p, "unexpected end of line");
				goto out;
			}
			if (*s.p != '"') {
				scan_fail(&s, s.p, "expected a string key");
				goto out;
			}
			const char *key = s.p + 1;
			if (scan_string(&s) == -1)
				goto out;
			size_t key_len = (size_t)(s.p - 1 - key);
			skip_ws(&s);
			if (s.p == s.end || *s.p != ':') {
				scan_fail(&s, s.p, "expected ':' after key");
				goto out;
			}
			s.p++;
			skip_ws(&s);
			const char *val = s.p;
			if (scan_value(&s) == -1)
				goto out;
			add_member(jl, key, key_len, val, (size_t)(s.p - val));
			skip_ws(&s);
			if (s.p < s.end && *s.p == ',') {
				s.p++;
				skip_ws(&s);
				continue;
			}
			if (s.p < s.end && *s.p == '}') {
				s.p++;
				break;
			}
			scan_fail(&s, s.p, s.p == s.end ? "unexpected end of line" : "expected ',' or '}' in object");
			goto out;
		}
	}
	skip_ws(&s);
	if (s.p != s.end) {
		scan_fail(&s, s.p, "text after the object");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		jl->error = s.err;
		jl->error_at = (size_t)(s.err_at - text);
		jl->n = 0;
	}
	scan_done(&s);
	return rc;
}

void
json_line_free(struct json_line *jl)
{
	if (jl == NULL)
		return;
	free(jl->m);
	jl->m = NULL;
	jl->n = jl->cap = 0;
}

bool
json_key_eq(const char *raw, size_t raw_len, const char *key)
{
	size_t klen = strlen(key);
	struct buf b;
	bool eq;

	if (raw_len == klen && memcmp(raw, key, klen) == 0)
		return true;
	/* "st\u0061tus" is "status": only an escaped key needs decoding. */
	if (memchr(raw, '\\', raw_len) == NULL)
		return false;
	buf_init(&b);
	buf_addc(&b, '"');
	buf_add(&b, raw, raw_len);
	buf_addc(&b, '"');
	struct buf d;
	buf_init(&d);
	eq = json_string_decode(b.p, b.len, &d) == 0 && d.len == klen && memcmp(d.p, key, klen) == 0;
	buf_free(&b);
	buf_free(&d);
	return eq;
}

const struct json_member *
json_line_get(const struct json_line *jl, const char *key)
{
	/* Go's decoder keeps the last of duplicate keys; so does bd. */
	for (size_t i = jl->n; i-- > 0;)
		if (json_key_eq(jl->m[i].key, jl->m[i].key_len, key))
			return &jl->m[i];
	return NULL;
}

static void
put_utf8(struct buf *out, unsigned long cp)
{
	char u[4];

	if (cp < 0x80)
		buf_addc(out, (char)cp);
	else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 4);
	}
}

int
json_string_decode(const char *lit, size_t len, struct buf *out)
{
	const char *p, *end;
	size_t start = out->len;

	if (len < 2 || lit[0] != '"' || lit[len - 1] != '"')
		return -1;
	p = lit + 1;
	end = lit + len - 1;
	buf_reserve(out, len);
	while (p < end) {
		const char *run = p;
		while (end - p >= 8 && word_stops(p, true) == 0)
			p += 8;
		while (p < end && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80 && *p != '"' && *p != '\\')
			p++;
		buf_add(out, run, (size_t)(p - run));
		if (p == end)
			break;
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80) {
			/* Invalid UTF-8 reads as U+FFFD, as Go decodes it. */
			size_t n = utf8_seq_len((const unsigned char *)p, (size_t)(end - p));
			if (n == 0) {
				put_utf8(out, 0xfffd);
				p++;
			} else {
				buf_add(out, p, n);
				p += n;
			}
			continue;
		}
		if (c != '\\' || p + 1 >= end)
			goto bad; /* a bare quote or control character, or a trailing backslash */
		p++;
		switch (*p) {
		case '"':
		case '\\':
		case '/':
			buf_addc(out, *p);
			p++;
			continue;
		case 'b':
			buf_addc(out, '\b');
			p++;
			continue;
		case 'f':
			buf_addc(out, '\f');
			p++;
			continue;
		case 'n':
			buf_addc(out, '\n');
			p++;
			continue;
		case 'r':
			buf_addc(out, '\r');
			p++;
			continue;
		case 't':
			buf_addc(out, '\t');
			p++;
			continue;
		case 'u':
			break;
		default:
			goto bad;
		}
		if (end - p < 5)
			goto bad;
		long cp = hex4(p + 1);
		if (cp < 0)
			goto bad;
		p += 5;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			/* A high surrogate needs its low half next; alone it is U+FFFD. */
			long lo = -1;
			if (end - p >= 6 && p[0] == '\\' && p[1] == 'u')
				lo = hex4(p + 2);
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else
				cp = 0xfffd;
		} else if (cp >= 0xdc00 && cp <= 0xdfff)
			cp = 0xfffd;
		put_utf8(out, (unsigned long)cp);
	}
	/* buf_reserve leaves a fresh buffer unterminated; an empty string still is one */
	buf_add(out, "", 0);
	return 0;
bad:
	out->len = start;
	if (out->p != NULL)
		out->p[start] = '\0';
	return -1;
}

int
json_iter_init(struct json_iter *it, const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;

	while (p < end && is_ws(*p))
		p++;
	it->p = it->end = end;
	it->object = false;
	it->first = true;
	if (p == end || (*p != '[' && *p != '{'))
		return -1;
	it->object = *p == '{';
	it->p = p + 1;
	return 0;
}

int
json_iter_next(struct json_iter *it, const char **key, size_t *key_len, const char **val, size_t *val_len)
{
	struct scan s;
	int rc = 0;

	if (key != NULL)
		*key = NULL, *key_len = 0;
	scan_init(&s, it->p, (size_t)(it->end - it->p));
	skip_ws(&s);
	if (s.p == s.end || *s.p == (it->object ? '}' : ']'))
		goto stop;
	if (!it->first) {
		if (*s.p != ',')
			goto stop;
		s.p++;
		skip_ws(&s);
	}
	if (it->object) {
		if (s.p == s.end || *s.p != '"')
			goto stop;
		const char *k = s.p + 1;
		if (scan_string(&s) == -1)
			goto stop;
		if (key != NULL) {
			*key = k;
			*key_len = (size_t)(s.p - 1 - k);
		}
		skip_ws(&s);
		if (s.p == s.end || *s.p != ':')
			goto stop;
		s.p++;
		skip_ws(&s);
	}
	const char *v = s.p;
	if (scan_value(&s) == -1)
		goto stop;
	*val = v;
	*val_len = (size_t)(s.p - v);
	it->first = false;
	it->p = s.p;
	rc = 1;
	scan_done(&s);
	return rc;
stop:
	scan_done(&s);
	it->p = it->end;
	return 0;
}

/* The index of the edit that names member m (the later of two edits of one key wins), or -1. */
static long
edit_for(const struct json_edit *edits, size_t nedits, const struct json_member *m)
{
	for (size_t e = nedits; e-- > 0;)
		if (json_key_eq(m->key, m->key_len, edits[e].key))
			return (long)e;
	return -1;
}

void
json_line_patch(const struct json_line *jl, const struct json_edit *edits, size_t nedits, struct buf *out)
{
	const char *t = jl->text, *end = t + jl->len;
	const char *close = end;
	bool *matched = xcalloc(nedits ? nedits : 1, sizeof *matched);
	long *last = xmalloc((nedits ? nedits : 1) * sizeof *last);
	bool any = false;

	/* The closing brace is the last byte that is not whitespace (a scanned line). */
	while (close > t && is_ws(close[-1]))
		close--;
	if (close > t)
		close--;
	/* A replacement goes to the last of duplicate keys: the one bd reads. */
	for (size_t e = 0; e < nedits; e++)
		last[e] = -1;
	for (size_t i = 0; i < jl->n; i++) {
		long e = edit_for(edits, nedits, &jl->m[i]);
		if (e >= 0)
			last[e] = (long)i;
	}

	if (jl->n == 0)
		buf_add(out, t, (size_t)(close - t));
	else {
		const struct json_member *m = jl->m;
		const char *suffix = m[jl->n - 1].val + m[jl->n - 1].val_len;

		/* "{" and whatever surrounds it, up to the first key's quote */
		buf_add(out, t, (size_t)(m[0].key - 1 - t));
		for (size_t i = 0; i < jl->n; i++) {
			long e = edit_for(edits, nedits, &m[i]);
			const char *start = m[i].key - 1;
			if (e >= 0) {
				/* every edit of that key counts as placed */
				for (size_t k = 0; k < nedits; k++)
					if (strcmp(edits[k].key, edits[e].key) == 0)
						matched[k] = true;
				if (edits[e].raw == NULL)
					continue; /* removed, with every duplicate */
				if (last[e] != (long)i)
					e = -1;
			}
			if (any) {
				/* the separator that stood before this member: ",", spaces as they were */
				const char *prev_end = m[i - 1].val + m[i - 1].val_len;
				buf_add(out, prev_end, (size_t)(start - prev_end));
			}
			any = true;
			if (e >= 0) {
				buf_add(out, start, (size_t)(m[i].val - start));
				buf_adds(out, edits[e].raw);
			} else
				buf_add(out, start, (size_t)(m[i].val + m[i].val_len - start));
		}
		/* what followed the last member, up to the closing brace */
		buf_add(out, suffix, (size_t)(close - suffix));
	}
	/* Absent keys go before the closing brace, Go-style: ,"key":value */
	for (size_t e = 0; e < nedits; e++) {
		if (matched[e] || edits[e].raw == NULL)
			continue;
		bool later = false;
		for (size_t k = e + 1; k < nedits; k++)
			if (strcmp(edits[k].key, edits[e].key) == 0)
				later = true;
		if (later)
			continue;
		if (any)
			buf_addc(out, ',');
		any = true;
		json_append_string(out, edits[e].key, strlen(edits[e].key));
		buf_addc(out, ':');
		buf_adds(out, edits[e].raw);
	}
	buf_add(out, close, (size_t)(end - close));
	free(matched);
	free(last);
}

void
json_array_append(const char *arr, size_t arr_len, const char *elem, size_t elem_len, struct buf *out)
{
	struct json_iter it;
	const char *v, *last_end = NULL;
	size_t vlen, n = 0;
	const char *sep = ",";
	size_t sep_len = 1;

	if (json_iter_init(&it, arr, arr_len) == -1 || it.object) {
		/* Not an array: the result is a new one holding elem alone. */
		buf_addc(out, '[');
		buf_add(out, elem, elem_len);
		buf_addc(out, ']');
		return;
	}
	while (json_iter_next(&it, NULL, NULL, &v, &vlen)) {
		if (n > 0) {
			/* keep the style between the last two elements: ", " or ",\n  " */
			sep = last_end;
			sep_len = (size_t)(v - last_end);
		}
		last_end = v + vlen;
		n++;
	}
	if (n == 0) {
		const char *open = arr;
		while (open < arr + arr_len && *open != '[')
			open++;
		const char *close = arr + arr_len;
		while (close > open && *--close != ']')
			;
		buf_add(out, arr, (size_t)(open + 1 - arr));
		buf_add(out, elem, elem_len);
		buf_add(out, close, (size_t)(arr + arr_len - close));
		return;
	}
	buf_add(out, arr, (size_t)(last_end - arr));
	buf_add(out, sep, sep_len);
	buf_add(out, elem, elem_len);
	buf_add(out, last_end, (size_t)(arr + arr_len - last_end));
}
