/*
 * tracker.c - issues.jsonl as a list of lines kept byte for byte. A reload
 * re-parses only lines whose content is new (matched by hash and length, even
 * when lines moved), so a one-line edit of a 150 MB file costs one line. Patches
 * rewrite single members of single lines (json_line_patch); every other byte of
 * the file is written back as it was read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "ygg.h"

/*
 * Line and id hashing. hash64 (FNV-1a) takes a byte per step, which made
 * hashing alone most of the load time of a 150 MB tracker; this takes eight.
 * Equal hashes are only a hint here (lines and ids are compared after), so a
 * fast multiplicative mix is enough.
 */
static uint64_t
fast_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL), w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 32;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 29);
}

/* ------------------------------------------------------------------ idmap */

struct idmap_slot {
	const char *id; /* NULL: empty */
	uint64_t hash;
	size_t index;
};

struct idmap {
	struct idmap_slot *slots;
	size_t cap; /* a power of two */
	size_t n;
};

static size_t
pow2_at_least(size_t n)
{
	size_t cap = 16;

	while (cap < n)
		cap *= 2;
	return cap;
}

struct idmap *
idmap_new(size_t expected)
{
	struct idmap *m = xcalloc(1, sizeof *m);

	m->cap = pow2_at_least(expected * 2);
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	return m;
}

void
idmap_free(struct idmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

static void
idmap_grow(struct idmap *m)
{
	struct idmap_slot *old = m->slots;
	size_t oldcap = m->cap;

	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].id == NULL)
			continue;
		size_t j = old[i].hash & (m->cap - 1);
		while (m->slots[j].id != NULL)
			j = (j + 1) & (m->cap - 1);
		m->slots[j] = old[i];
	}
	free(old);
}

void
idmap_put(struct idmap *m, const char *id, size_t index)
{
	uint64_t h = fast_hash(id, strlen(id));
	size_t j;

	if ((m->n + 1) * 2 > m->cap)
		idmap_grow(m);
	for (j = h & (m->cap - 1); m->slots[j].id != NULL; j = (j + 1) & (m->cap - 1))
		if (m->slots[j].hash == h && strcmp(m->slots[j].id, id) == 0) {
			/* the later line wins; the key may be a new copy of the same id */
			m->slots[j].id = id;
			m->slots[j].index = index;
			return;
		}
	m->slots[j].id = id;
	m->slots[j].hash = h;
	m->slots[j].index = index;
	m->n++;
}

int
idmap_get(const struct idmap *m, const char *id, size_t *index)
{
	uint64_t h;

	if (m == NULL || id == NULL)
		return -1;
	h = fast_hash(id, strlen(id));
	for (size_t j = h & (m->cap - 1); m->slots[j].id != NULL; j = (j + 1) & (m->cap - 1))
		if (m->slots[j].hash == h && strcmp(m->slots[j].id, id) == 0) {
			*index = m->slots[j].index;
			return 0;
		}
	return -1;
}

/* ------------------------------------------------- contents already reported */

/* A set of (hash, length) keys: a bad line is reported once per distinct content. */
struct tracker_seen {
	uint64_t *keys; /* 0: empty */
	size_t cap, n;
};

static uint64_t
seen_key(uint64_t hash, size_t len)
{
	uint64_t k = hash ^ ((uint64_t)len * 0x9e3779b97f4a7c15ULL);
	return k ? k : 1;
}

/* Adds the key; true when it was new. */
static bool
seen_add(struct tracker_seen *s, uint64_t key)
{
	size_t j;

	if ((s->n + 1) * 2 > s->cap) {
		uint64_t *old = s->keys;
		size_t oldcap = s->cap;
		s->cap = pow2_at_least((s->n + 1) * 4);
		s->keys = xcalloc(s->cap, sizeof *s->keys);
		for (size_t i = 0; i < oldcap; i++) {
			if (old[i] == 0)
				continue;
			for (j = old[i] & (s->cap - 1); s->keys[j] != 0; j = (j + 1) & (s->cap - 1))
				;
			s->keys[j] = old[i];
		}
		free(old);
	}
	for (j = key & (s->cap - 1); s->keys[j] != 0; j = (j + 1) & (s->cap - 1))
		if (s->keys[j] == key)
			return false;
	s->keys[j] = key;
	s->n++;
	return true;
}

/* --------------------------------------------------------------- tracker */

struct tracker *
tracker_new(void)
{
	struct tracker *t = xcalloc(1, sizeof *t);

	t->reported = xcalloc(1, sizeof *t->reported);
	return t;
}

static void
lines_free(struct tracker_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (lines[i].own)
			free(lines[i].raw);
		issue_free(lines[i].issue);
	}
	free(lines);
}

void
tracker_free(struct tracker *t)
{
	if (t == NULL)
		return;
	lines_free(t->lines, t->nlines);
	free(t->block);
	idmap_free(t->index);
	free(t->issues);
	if (t->reported != NULL)
		free(t->reported->keys);
	free(t->reported);
	free(t);
}

static bool
is_blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* Parse one new line; says so (once per content) when it is not usable. */
static void
line_parse(struct tracker *t, struct tracker_line *l, struct json_line *jl, size_t lineno, const char *name)
{
	int rc;

	l->issue = NULL;
	l->bad = false;
	if (json_line_scan(jl, l->raw, l->len) == -1) {
		l->bad = true;
		if (seen_add(t->reported, seen_key(l->hash, l->len)))
			log_warnx("%s:%zu: not a JSON object, kept as it is: %s at byte %zu", name, lineno,
			    jl->error, jl->error_at + 1);
		return;
	}
	rc = issue_from_line(jl, &l->issue);
	if (rc == -1) {
		l->bad = true;
		if (seen_add(t->reported, seen_key(l->hash, l->len)))
			log_warnx("%s:%zu: not an issue, kept as it is: its id is not a string", name, lineno);
	}
}

/* The id index and the issue list after lines changed. */
static void
tracker_reindex(struct tracker *t)
{
	idmap_free(t->index);
	t->index = idmap_new(t->nlines);
	for (size_t i = 0; i < t->nlines; i++)
		if (t->lines[i].issue != NULL)
			idmap_put(t->index, t->lines[i].issue->id, i);
	free(t->issues);
	t->issues = xmalloc((t->index->n ? t->index->n : 1) * sizeof *t->issues);
	t->nissues = 0;
	for (size_t i = 0; i < t->nlines; i++) {
		size_t last;
		const struct issue *is = t->lines[i].issue;
		t->lines[i].ipos = 0;
		if (is != NULL && idmap_get(t->index, is->id, &last) == 0 && last == i) {
			t->issues[t->nissues++] = is;
			t->lines[i].ipos = t->nissues;
		}
	}
}

/*
 * The load itself, over a block the tracker now owns: lines point into it (each
 * "\n" becomes a NUL, so every raw line is a C string) and nothing is copied.
 */
static int
tracker_load_block(struct tracker *t, char *block, size_t len, const char *name)
{
	const char *data = block;
	bool trailing = len > 0 && block[len - 1] == '\n';
	struct tracker_line *old = t->lines, *lines;
	size_t oldn = t->nlines, n = 0, cap, *slots, reparsed = 0;
	bool *taken, changed;
	struct json_line jl = { 0 };
	const char *p, *end = data + len;

	for (p = data; p < end; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl == NULL ? end : nl + 1;
	}
	lines = xcalloc(n ? n : 1, sizeof *lines);
	changed = n != oldn;

	/* The previous lines by (hash, length): slots hold index + 1, 0 is empty. */
	cap = pow2_at_least(oldn * 2);
	slots = xcalloc(cap, sizeof *slots);
	taken = xcalloc(oldn ? oldn : 1, sizeof *taken);
	for (size_t j = 0; j < oldn; j++) {
		size_t k = old[j].hash & (cap - 1);
		while (slots[k] != 0)
			k = (k + 1) & (cap - 1);
		slots[k] = j + 1;
	}

	p = data;
	for (size_t i = 0; i < n; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl == NULL ? end : nl) - p);
		uint64_t h = fast_hash(p, l);
		bool reused = false;

		for (size_t k = h & (cap - 1); slots[k] != 0; k = (k + 1) & (cap - 1)) {
			size_t j = slots[k] - 1;
			if (taken[j] || old[j].hash != h || old[j].len != l || memcmp(old[j].raw, p, l) != 0)
				continue;
			lines[i] = old[j];
			old[j].raw = NULL;
			old[j].issue = NULL;
			taken[j] = true;
			reused = true;
			if (j != i)
				changed = true; /* order decides which duplicate wins */
			break;
		}
		if (!reused) {
			lines[i].len = l;
			lines[i].hash = h;
			lines[i].raw = (char *)p;
			if (!is_blank(p, l)) {
				line_parse(t, &lines[i], &jl, i + 1, name);
				reparsed++;
			}
			changed = true;
		} else if (lines[i].own) {
			free(lines[i].raw); /* the same bytes are in the new block */
			lines[i].own = false;
		}
		lines[i].raw = block + (p - data);
		if (nl != NULL)
			block[nl - data] = '\0';
		p = nl == NULL ? end : nl + 1;
	}
	free(slots);
	free(taken);
	json_line_free(&jl);
	lines_free(old, oldn);
	free(t->block);
	t->block = block;

	t->lines = lines;
	t->nlines = n;
	t->trailing_newline = trailing;
	t->crlf = n > 0 && lines[0].len > 0 && lines[0].raw[lines[0].len - 1] == '\r' &&
	    (n > 1 || t->trailing_newline);
	t->reparsed = reparsed;
	if (changed || t->index == NULL) {
		tracker_reindex(t);
		t->generation++;
	}
	return 0;
}

int
tracker_load(struct tracker *t, const char *data, size_t len, const char *name)
{
	char *block = xmalloc(len + 1);

	memcpy(block, data, len);
	block[len] = '\0';
	return tracker_load_block(t, block, len, name);
}

int
tracker_load_buf(struct tracker *t, char *data, size_t len, const char *name)
{
	data[len] = '\0';
	return tracker_load_block(t, data, len, name);
}

const struct issue *
tracker_get(const struct tracker *t, const char *id)
{
	size_t i;

	if (idmap_get(t->index, id, &i) == -1)
		return NULL;
	return t->lines[i].issue;
}

size_t
tracker_issues(struct tracker *t, const struct issue ***out)
{
	if (t->index == NULL)
		tracker_reindex(t);
	*out = t->issues;
	return t->nissues;
}

void
tracker_render(const struct tracker *t, struct buf *out)
{
	size_t total = 0;

	for (size_t i = 0; i < t->nlines; i++)
		total += t->lines[i].len + 1;
	buf_reserve(out, total);
	buf_add(out, "", 0); /* terminated even when the file is empty */
	for (size_t i = 0; i < t->nlines; i++) {
		buf_add(out, t->lines[i].raw, t->lines[i].len);
		if (i + 1 < t->nlines || t->trailing_newline)
			buf_addc(out, '\n');
	}
}

/* ----------------------------------------------------------------- patches */

/* How comments written into this file are numbered (DESIGN: the file's own style). */
struct comment_ids {
	bool known;
	bool strings; /* bd 1.0.5+ writes UUID v7 strings */
	int64_t max;  /* highest integer id in the file */
};

static void
comment_ids_scan(const struct tracker *t, struct comment_ids *c)
{
	c->known = true;
	c->strings = false;
	c->max = 0;
	for (size_t i = 0; i < t->nlines; i++) {
		const struct issue *is = t->lines[i].issue;
		if (is == NULL)
			continue;
		if (is->comment_ids_str)
			c->strings = true;
		if (is->comment_ids_int && is->max_comment_id > c->max)
			c->max = is->max_comment_id;
	}
	/*
	 * A file with no comments at all gets integers: every bd reads those
	 * (newer bd kept reading its older files), while a bd before 1.0.5 cannot
	 * read a string id into its int64 field.
	 */
}

/* An RFC 9562 UUID version 7: 48 bits of Unix milliseconds, then random bits. */
static void
uuid_v7(int64_t now_ns, char out[37])
{
	static uint64_t counter;
	unsigned char b[16];
	uint64_t ms = (uint64_t)(now_ns / 1000000);

	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
		uint64_t x = hash64(&now_ns, sizeof now_ns) ^ (++counter * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)getpid();
		uint64_t y = hash64(&x, sizeof x);
		memcpy(b, &x, 8);
		memcpy(b + 8, &y, 8);
	}
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
	    b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static char *
json_str(const char *s)
{
	struct buf b;

	buf_init(&b);
	json_append_string(&b, s, strlen(s));
	return buf_steal(&b);
}

static bool
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* The compare-and-set part: NULL when p may apply to is, else why not. */
static char *
patch_check(const struct patch *p, const struct issue *is)
{
	switch (p->op) {
	case PATCH_CLAIM:
		if (strcmp(is->status, "open") != 0)
			return xasprintf("%s is %s, not open", is->id, is->status);
		/* bd's --claim refuses an issue someone already holds */
		if (is->assignee != NULL && !same(is->assignee, p->assignee))
			return xasprintf("%s is assigned to %s", is->id, is->assignee);
		return NULL;
	case PATCH_CLOSE:
	case PATCH_BLOCK:
	case PATCH_REOPEN:
		if (strcmp(is->status, "in_progress") != 0)
			return xasprintf("%s is %s, not in_progress", is->id, is->status);
		if (!same(is->assignee, p->assignee))
			return xasprintf("%s is assigned to %s, not %s", is->id, is->assignee ? is->assignee : "nobody",
			    p->assignee ? p->assignee : "nobody");
		return NULL;
	case PATCH_COMMENT:
		return NULL;
	}
	return xstrdup("unknown patch");
}

static bool
member_absent(const struct json_line *jl, const char *key)
{
	const struct json_member *m = json_line_get(jl, key);
	return m == NULL || (m->val_len == 4 && memcmp(m->val, "null", 4) == 0);
}

/*
 * Apply one checked patch to line idx; the line and its issue become the new
 * content. -1 (and nothing changed) if the result would not read back.
 */
static int
patch_line(struct tracker *t, size_t idx, const struct patch *p, struct comment_ids *cids, struct json_line *jl)
{
	struct tracker_line *l = &t->lines[idx];
	const struct issue *is = l->issue;
	struct json_edit e[8];
	size_t ne = 0;
	char ts[64], *free_me[4] = { NULL };
	size_t nfree = 0;
	struct buf line, comments;
	struct issue *nis = NULL;

	/* updated_at always moves forward; the other new stamps share its value and style */
	if (is->updated_at != NULL)
		time_after(is->updated_at, p->now, ts, sizeof ts);
	else
		time_format_like(p->now, is->created_at, ts, sizeof ts);
	char *qts = json_str(ts);
	free_me[nfree++] = qts;

	json_line_scan(jl, l->raw, l->len);
	switch (p->op) {
	case PATCH_CLAIM:
		e[ne++] = (struct json_edit){ "status", "\"in_progress\"" };
		if (p->assignee != NULL) {
			free_me[nfree] = json_str(p->assignee);
			e[ne++] = (struct json_edit){ "assignee", free_me[nfree++] };
		}
		if (member_absent(jl, "started_at"))
			e[ne++] = (struct json_edit){ "started_at", qts };
		break;
	case PATCH_CLOSE:
		e[ne++] = (struct json_edit){ "status", "\"closed\"" };
		e[ne++] = (struct json_edit){ "closed_at", qts };
		if (p->reason != NULL) {
			free_me[nfree] = json_str(p->reason);
			e[ne++] = (struct json_edit){ "close_reason", free_me[nfree++] };
		}
		break;
	case PATCH_BLOCK:
		e[ne++] = (struct json_edit){ "status", "\"blocked\"" };
		break;
	case PATCH_REOPEN:
		/* bd omits empty fields: no assignee is no member */
		e[ne++] = (struct json_edit){ "status", "\"open\"" };
		e[ne++] = (struct json_edit){ "assignee", NULL };
		break;
	case PATCH_COMMENT:
		break;
	}
	e[ne++] = (struct json_edit){ "updated_at", qts };

	buf_init(&comments);
	if (p->comment != NULL) {
		struct buf c;
		const struct json_member *m = json_line_get(jl, "comments");
		buf_init(&c);
		buf_adds(&c, "{\"id\":");
		if (cids->strings) {
			char uuid[37];
			uuid_v7(p->now, uuid);
			json_append_string(&c, uuid, strlen(uuid));
		} else
			buf_printf(&c, "%lld", (long long)++cids->max);
		buf_adds(&c, ",\"issue_id\":");
		json_append_string(&c, is->id, strlen(is->id));
		buf_adds(&c, ",\"author\":");
		const char *author = p->author != NULL ? p->author : "yggd";
		json_append_string(&c, author, strlen(author));
		buf_adds(&c, ",\"text\":");
		json_append_string(&c, p->comment, strlen(p->comment));
		buf_adds(&c, ",\"created_at\":");
		buf_adds(&c, qts);
		buf_addc(&c, '}');
		if (m != NULL && m->val_len > 0 && m->val[0] == '[')
			json_array_append(m->val, m->val_len, c.p, c.len, &comments);
		else {
			buf_addc(&comments, '[');
			buf_add(&comments, c.p, c.len);
			buf_addc(&comments, ']');
		}
		buf_free(&c);
		e[ne++] = (struct json_edit){ "comments", comments.p };
	}

	buf_init(&line);
	json_line_patch(jl, e, ne, &line);
	buf_free(&comments);
	for (size_t i = 0; i < nfree; i++)
		free(free_me[i]);

	/* The patched line must read back as the same issue before it replaces the old one. */
	if (json_line_scan(jl, line.p, line.len) == -1 || issue_from_line(jl, &nis) != 0 ||
	    strcmp(nis->id, is->id) != 0) {
		issue_free(nis);
		buf_free(&line);
		return -1;
	}
	if (l->own)
		free(l->raw);
	l->len = line.len;
	l->raw = buf_steal(&line);
	l->own = true;
	l->hash = fast_hash(l->raw, l->len);
	l->bad = false;
	idmap_put(t->index, nis->id, idx); /* the key now points into nis */
	/* the index borrows the id string: point it at the new record before the old goes */
	if (t->index != NULL)
		idmap_put(t->index, nis->id, idx);
	issue_free(l->issue);
	l->issue = nis;
	return 0;
}

void
tracker_apply(struct tracker *t, struct patch *patches, size_t n, struct buf *out)
{
	struct comment_ids cids = { 0 };
	struct json_line jl = { 0 };
	bool changed = false;

	if (t->index == NULL)
		tracker_reindex(t);
	for (size_t k = 0; k < n; k++) {
		struct patch *p = &patches[k];
		size_t idx;

		free(p->why);
		p->why = NULL;
		p->result = 0;
		/* A duplicate id: the last line is the one bd reads, so the one patched. */
		if (p->id == NULL || idmap_get(t->index, p->id, &idx) == -1) {
			p->result = PATCH_MISSING;
			p->why = xasprintf("no issue %s in the tracker", p->id ? p->id : "(null)");
			continue;
		}
		if ((p->why = patch_check(p, t->lines[idx].issue)) != NULL) {
			p->result = PATCH_CONFLICT;
			continue;
		}
		if (p->op == PATCH_COMMENT && p->comment == NULL)
			continue;
		if (p->comment != NULL && !cids.known)
			comment_ids_scan(t, &cids);
		if (patch_line(t, idx, p, &cids, &jl) == -1) {
			p->result = PATCH_CONFLICT;
			p->why = xasprintf("%s: the patched line would not read back", p->id);
			continue;
		}
		/*
		 * The line keeps its place, so the index only needs the new record
		 * (patch_line re-keyed the id map) in its slot of the issue list. No
		 * rebuild - that is O(issues) per write on a large tracker.
		 */
		if (t->lines[idx].ipos > 0)
			t->issues[t->lines[idx].ipos - 1] = t->lines[idx].issue;
		changed = true;
	}
	json_line_free(&jl);
	if (changed)
		t->generation++;
	if (out != NULL)
		tracker_render(t, out);
}

void
patch_free_fields(struct patch *p)
{
	if (p == NULL)
		return;
	free(p->id);
	free(p->assignee);
	free(p->reason);
	free(p->comment);
	free(p->author);
	free(p->why);
	p->id = p->assignee = p->reason = p->comment = p->author = p->why = NULL;
}
