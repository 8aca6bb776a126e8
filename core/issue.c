/*
 * issue.c - the per-issue record the scheduler and the handlers use, read from
 * a scanned JSONL line (the jsonl store) or from a json-c object (`bd ... --json`
 * output). Both read fields the way bd does: missing status is "open", missing
 * issue_type is "task", a dependency without a type is "blocks", and of two
 * members with one key the last counts.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ygg.h"

/* The members issue_from_line reads; of duplicates, the last. */
enum field {
	F_TYPE,
	F_ID,
	F_TITLE,
	F_DESCRIPTION,
	F_DESIGN,
	F_ACCEPTANCE,
	F_NOTES,
	F_STATUS,
	F_ISSUE_TYPE,
	F_ASSIGNEE,
	F_CREATED_AT,
	F_UPDATED_AT,
	F_DEFER_UNTIL,
	F_PRIORITY,
	F_PINNED,
	F_EPHEMERAL,
	F_LABELS,
	F_DEPENDENCIES,
	F_COMMENTS,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	[F_TYPE] = "_type",
	[F_ID] = "id",
	[F_TITLE] = "title",
	[F_DESCRIPTION] = "description",
	[F_DESIGN] = "design",
	[F_ACCEPTANCE] = "acceptance_criteria",
	[F_NOTES] = "notes",
	[F_STATUS] = "status",
	[F_ISSUE_TYPE] = "issue_type",
	[F_ASSIGNEE] = "assignee",
	[F_CREATED_AT] = "created_at",
	[F_UPDATED_AT] = "updated_at",
	[F_DEFER_UNTIL] = "defer_until",
	[F_PRIORITY] = "priority",
	[F_PINNED] = "pinned",
	[F_EPHEMERAL] = "ephemeral",
	[F_LABELS] = "labels",
	[F_DEPENDENCIES] = "dependencies",
	[F_COMMENTS] = "comments",
};

static bool
raw_is_string(const char *raw, size_t len)
{
	return len >= 2 && raw[0] == '"';
}

static bool
raw_is(const char *raw, size_t len, const char *word)
{
	size_t n = strlen(word);
	return len == n && memcmp(raw, word, n) == 0;
}

/* A decoded string member, or NULL when the value is not a string. */
static char *
raw_string(const char *raw, size_t len)
{
	struct buf b;

	if (!raw_is_string(raw, len))
		return NULL;
	buf_init(&b);
	if (json_string_decode(raw, len, &b) == -1) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Like raw_string, but an empty string reads as absent (bd omits empty fields). */
static char *
raw_string_nonempty(const char *raw, size_t len)
{
	char *s = raw_string(raw, len);

	if (s != NULL && *s == '\0') {
		free(s);
		return NULL;
	}
	return s;
}

/*
 * An integer-valued JSON number ("2", "2.0", "2e0") or a string holding one
 * ("\"2\""), as older tools wrote priorities. 0 and *v, or -1.
 */
static int
number_text_int(const char *s, int64_t *v)
{
	char *end;
	double d;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return -1;
	errno = 0;
	long long ll = strtoll(s, &end, 10);
	if (errno == 0 && *end == '\0') {
		*v = ll;
		return 0;
	}
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(d) || d != floor(d) || fabs(d) > 9e15)
		return -1;
	*v = (int64_t)d;
	return 0;
}

static int
raw_int(const char *raw, size_t len, int64_t *v)
{
	char tmp[64];
	int rc;

	if (raw_is_string(raw, len)) {
		char *s = raw_string(raw, len);
		if (s == NULL)
			return -1;
		rc = number_text_int(s, v);
		free(s);
		return rc;
	}
	if (len == 0 || len >= sizeof tmp || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')))
		return -1;
	memcpy(tmp, raw, len);
	tmp[len] = '\0';
	return number_text_int(tmp, v);
}

static int64_t
parse_time(const char *s)
{
	int64_t ns;

	if (s == NULL || time_parse(s, strlen(s), &ns) == -1)
		return 0;
	return ns;
}

static enum dep_type
dep_type_of(const char *type)
{
	/* bd stores a dependency given without a type as "blocks". */
	if (type == NULL || *type == '\0' || strcmp(type, "blocks") == 0)
		return DEP_BLOCKS;
	if (strcmp(type, "conditional-blocks") == 0)
		return DEP_CONDITIONAL_BLOCKS;
	if (strcmp(type, "parent-child") == 0)
		return DEP_PARENT_CHILD;
	return DEP_OTHER;
}

static void
add_label(struct issue *is, size_t *cap, char *label)
{
	if (is->nlabels + 1 >= *cap) {
		*cap = *cap ? *cap * 2 : 4;
		is->labels = xrealloc(is->labels, *cap * sizeof *is->labels);
	}
	is->labels[is->nlabels++] = label;
	is->labels[is->nlabels] = NULL;
}

static void
add_dep(struct issue *is, size_t *cap, char *depends_on, enum dep_type type)
{
	if (is->ndeps == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		is->deps = xrealloc(is->deps, *cap * sizeof *is->deps);
	}
	is->deps[is->ndeps].depends_on = depends_on;
	is->deps[is->ndeps].type = type;
	is->ndeps++;
}

static void
note_comment_id_int(struct issue *is, int64_t id)
{
	is->comment_ids_int = true;
	if (id > is->max_comment_id)
		is->max_comment_id = id;
}

/* Defaults and derived fields, once the members are read. */
static void
issue_finish(struct issue *is)
{
	if (is->status == NULL)
		is->status = xstrdup("open");
	if (is->issue_type == NULL)
		is->issue_type = xstrdup("task");
	if (strcmp(is->status, "pinned") == 0)
		is->pinned = true;
	is->created_ns = parse_time(is->created_at);
}

static void
line_labels(struct issue *is, const char *raw, size_t len)
{
	struct json_iter it;
	const char *v;
	size_t vlen, cap = 0;

	if (json_iter_init(&it, raw, len) == -1 || it.object)
		return;
	while (json_iter_next(&it, NULL, NULL, &v, &vlen)) {
		char *label = raw_string(v, vlen);
		if (label != NULL)
			add_label(is, &cap, label);
	}
}

static void
line_deps(struct issue *is, const char *raw, size_t len)
{
	struct json_iter it, dit;
	const char *v, *k, *dv;
	size_t vlen, klen, dvlen, cap = 0;

	if (json_iter_init(&it, raw, len) == -1 || it.object)
		return;
	while (json_iter_next(&it, NULL, NULL, &v, &vlen)) {
		char *issue_id = NULL, *depends_on = NULL, *type = NULL;
		if (json_iter_init(&dit, v, vlen) == -1 || !dit.object)
			continue;
		while (json_iter_next(&dit, &k, &klen, &dv, &dvlen)) {
			char **slot = NULL;
			if (json_key_eq(k, klen, "issue_id"))
				slot = &issue_id;
			else if (json_key_eq(k, klen, "depends_on_id"))
				slot = &depends_on;
			else if (json_key_eq(k, klen, "type"))
				slot = &type;
			if (slot != NULL) {
				free(*slot);
				*slot = raw_string(dv, dvlen);
			}
		}
		/*
		 * {issue_id: X, depends_on_id: Y}: X depends on Y. An entry that names
		 * another issue as X is not about this one.
		 */
		if (depends_on != NULL && *depends_on != '\0' &&
		    (issue_id == NULL || *issue_id == '\0' || strcmp(issue_id, is->id) == 0)) {
			add_dep(is, &cap, depends_on, dep_type_of(type));
			depends_on = NULL;
		}
		free(issue_id);
		free(depends_on);
		free(type);
	}
}

static void
line_comments(struct issue *is, const char *raw, size_t len)
{
	struct json_iter it, cit;
	const char *v, *k, *cv;
	size_t vlen, klen, cvlen;

	if (json_iter_init(&it, raw, len) == -1 || it.object)
		return;
	while (json_iter_next(&it, NULL, NULL, &v, &vlen)) {
		const char *idv = NULL;
		size_t idlen = 0;
		int64_t id;
		if (json_iter_init(&cit, v, vlen) == -1 || !cit.object)
			continue;
		while (json_iter_next(&cit, &k, &klen, &cv, &cvlen))
			if (json_key_eq(k, klen, "id"))
				idv = cv, idlen = cvlen;
		if (idv == NULL)
			continue;
		if (raw_is_string(idv, idlen))
			is->comment_ids_str = true;
		else if (raw_int(idv, idlen, &id) == 0)
			note_comment_id_int(is, id);
	}
}

int
issue_from_line(const struct json_line *jl, struct issue **out)
{
	const struct json_member *f[F_COUNT] = { NULL };
	struct issue *is;

	*out = NULL;
	for (size_t i = 0; i < jl->n; i++) {
		const struct json_member *m = &jl->m[i];
		/* most keys are plain: compare the first byte before anything else */
		for (int k = 0; k < F_COUNT; k++)
			if (m->key_len > 0 && (m->key[0] == field_names[k][0] || m->key[0] == '\\') &&
			    json_key_eq(m->key, m->key_len, field_names[k])) {
				f[k] = m;
				break;
			}
	}
	if (f[F_TYPE] != NULL && !raw_is(f[F_TYPE]->val, f[F_TYPE]->val_len, "null")) {
		/* memory records and whatever bd adds next are not work */
		if (!raw_is(f[F_TYPE]->val, f[F_TYPE]->val_len, "\"issue\""))
			return 1;
	}
	if (f[F_ID] == NULL || raw_is(f[F_ID]->val, f[F_ID]->val_len, "null"))
		return 1;
	if (!raw_is_string(f[F_ID]->val, f[F_ID]->val_len))
		return -1; /* bd's id is a string; a number here is not a file bd wrote */

	is = xcalloc(1, sizeof *is);
	is->id = raw_string(f[F_ID]->val, f[F_ID]->val_len);
	if (is->id == NULL || *is->id == '\0') {
		issue_free(is);
		return 1;
	}
#define STR(field, member) \
	if (f[field] != NULL) \
		is->member = raw_string(f[field]->val, f[field]->val_len)
#define NONEMPTY(field, member) \
	if (f[field] != NULL) \
		is->member = raw_string_nonempty(f[field]->val, f[field]->val_len)
	STR(F_TITLE, title);
	STR(F_DESCRIPTION, description);
	NONEMPTY(F_DESIGN, design);
	NONEMPTY(F_ACCEPTANCE, acceptance_criteria);
	NONEMPTY(F_NOTES, notes);
	NONEMPTY(F_STATUS, status);
	NONEMPTY(F_ISSUE_TYPE, issue_type);
	NONEMPTY(F_ASSIGNEE, assignee);
	NONEMPTY(F_CREATED_AT, created_at);
	NONEMPTY(F_UPDATED_AT, updated_at);
#undef STR
#undef NONEMPTY
	is->priority = 2;
	if (f[F_PRIORITY] != NULL) {
		int64_t p;
		if (raw_int(f[F_PRIORITY]->val, f[F_PRIORITY]->val_len, &p) == 0 && p >= -1000000 && p <= 1000000)
			is->priority = (int)p;
	}
	if (f[F_DEFER_UNTIL] != NULL) {
		char *d = raw_string_nonempty(f[F_DEFER_UNTIL]->val, f[F_DEFER_UNTIL]->val_len);
		is->defer_ns = parse_time(d);
		free(d);
	}
	if (f[F_PINNED] != NULL)
		is->pinned = raw_is(f[F_PINNED]->val, f[F_PINNED]->val_len, "true");
	if (f[F_EPHEMERAL] != NULL)
		is->ephemeral = raw_is(f[F_EPHEMERAL]->val, f[F_EPHEMERAL]->val_len, "true");
	if (f[F_LABELS] != NULL)
		line_labels(is, f[F_LABELS]->val, f[F_LABELS]->val_len);
	if (f[F_DEPENDENCIES] != NULL)
		line_deps(is, f[F_DEPENDENCIES]->val, f[F_DEPENDENCIES]->val_len);
	if (f[F_COMMENTS] != NULL)
		line_comments(is, f[F_COMMENTS]->val, f[F_COMMENTS]->val_len);
	issue_finish(is);
	*out = is;
	return 0;
}

/* json-c side: the same fields from bd's --json output. */

static struct json_object *
obj_get(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static char *
obj_string(struct json_object *obj, const char *key, bool nonempty)
{
	struct json_object *v = obj_get(obj, key);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	if (nonempty && json_object_get_string_len(v) == 0)
		return NULL;
	return xstrndup(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

static int
obj_int(struct json_object *v, int64_t *out)
{
	double d;

	switch (json_object_get_type(v)) {
	case json_type_int:
		*out = json_object_get_int64(v);
		return 0;
	case json_type_double:
		d = json_object_get_double(v);
		if (!isfinite(d) || d != floor(d) || fabs(d) > 9e15)
			return -1;
		*out = (int64_t)d;
		return 0;
	case json_type_string:
		return number_text_int(json_object_get_string(v), out);
	default:
		return -1;
	}
}

int
issue_from_json(struct json_object *obj, struct issue **out)
{
	struct json_object *v;
	struct issue *is;

	*out = NULL;
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return -1;
	if ((v = obj_get(obj, "_type")) != NULL &&
	    (!json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), "issue") != 0))
		return 1;
	if ((v = obj_get(obj, "id")) == NULL)
		return 1;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	if (json_object_get_string_len(v) == 0)
		return 1;

	is = xcalloc(1, sizeof *is);
	is->id = obj_string(obj, "id", true);
	is->title = obj_string(obj, "title", false);
	is->description = obj_string(obj, "description", false);
	is->design = obj_string(obj, "design", true);
	is->acceptance_criteria = obj_string(obj, "acceptance_criteria", true);
	is->notes = obj_string(obj, "notes", true);
	is->status = obj_string(obj, "status", true);
	is->issue_type = obj_string(obj, "issue_type", true);
	is->assignee = obj_string(obj, "assignee", true);
	is->created_at = obj_string(obj, "created_at", true);
	is->updated_at = obj_string(obj, "updated_at", true);
	is->priority = 2;
	if ((v = obj_get(obj, "priority")) != NULL) {
		int64_t p;
		if (obj_int(v, &p) == 0 && p >= -1000000 && p <= 1000000)
			is->priority = (int)p;
	}
	char *d = obj_string(obj, "defer_until", true);
	is->defer_ns = parse_time(d);
	free(d);
	if ((v = obj_get(obj, "pinned")) != NULL)
		is->pinned = json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
	if ((v = obj_get(obj, "ephemeral")) != NULL)
		is->ephemeral = json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);

	if ((v = obj_get(obj, "labels")) != NULL && json_object_is_type(v, json_type_array)) {
		size_t cap = 0, n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			struct json_object *l = json_object_array_get_idx(v, i);
			if (l != NULL && json_object_is_type(l, json_type_string))
				add_label(is, &cap, xstrdup(json_object_get_string(l)));
		}
	}
	if ((v = obj_get(obj, "dependencies")) != NULL && json_object_is_type(v, json_type_array)) {
		size_t cap = 0, n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			struct json_object *dep = json_object_array_get_idx(v, i);
			if (dep == NULL || !json_object_is_type(dep, json_type_object))
				continue;
			char *issue_id = obj_string(dep, "issue_id", true);
			char *depends_on = obj_string(dep, "depends_on_id", true);
			/* `bd show --json` lists dependencies as issues with a dependency_type */
			char *type = obj_string(dep, "type", true);
			if (depends_on == NULL && (depends_on = obj_string(dep, "id", true)) != NULL) {
				free(type);
				type = obj_string(dep, "dependency_type", true);
				free(issue_id);
				issue_id = NULL;
			}
			if (depends_on != NULL && (issue_id == NULL || strcmp(issue_id, is->id) == 0)) {
				add_dep(is, &cap, depends_on, dep_type_of(type));
				depends_on = NULL;
			}
			free(issue_id);
			free(depends_on);
			free(type);
		}
	}
	if ((v = obj_get(obj, "comments")) != NULL && json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			struct json_object *c = json_object_array_get_idx(v, i), *id;
			int64_t cid;
			if (c == NULL || !json_object_is_type(c, json_type_object) || (id = obj_get(c, "id")) == NULL)
				continue;
			if (json_object_is_type(id, json_type_string))
				is->comment_ids_str = true;
			else if (obj_int(id, &cid) == 0)
				note_comment_id_int(is, cid);
		}
	}
	issue_finish(is);
	*out = is;
	return 0;
}

void
issue_free(struct issue *is)
{
	if (is == NULL)
		return;
	free(is->id);
	free(is->title);
	free(is->description);
	free(is->design);
	free(is->acceptance_criteria);
	free(is->notes);
	free(is->status);
	free(is->issue_type);
	free(is->assignee);
	free(is->created_at);
	free(is->updated_at);
	free_list(is->labels);
	for (size_t i = 0; i < is->ndeps; i++)
		free(is->deps[i].depends_on);
	free(is->deps);
	free(is);
}

bool
issue_has_label(const struct issue *is, const char *label)
{
	for (size_t i = 0; i < is->nlabels; i++)
		if (strcmp(is->labels[i], label) == 0)
			return true;
	return false;
}
