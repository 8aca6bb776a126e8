/*
 * hostapi.c - the function table handed to plugins (struct ygg_host_api) and the
 * prompt and reply helpers several plugins share: the standard user message,
 * fenced code blocks, <think> sections, cutting text at a good place, and the
 * artifact name check that keeps plugin output inside its folder.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ygg.h"

/* Limits for artifact names (DESIGN: "never outside that folder"). */
#define ART_NAME_MAX 1024
#define ART_COMPONENT_MAX 255
#define ART_DEPTH_MAX 16
/* Files per result: a reply of many tiny blocks must not turn into a flood of writes. */
#define ART_COUNT_MAX 1000

/* The plugin whose init or fini is running: names log lines that have no task. */
static const char *current_plugin;

void
hostapi_set_current(const char *plugin_name)
{
	current_plugin = plugin_name;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trim white space from both ends of [*s, *s + *len). */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_space(**s))
		(*s)++, (*len)--;
	while (*len > 0 && is_space((*s)[*len - 1]))
		(*len)--;
}

/* ---------------------------------------------------------------- results */

void
result_init(struct ygg_result *res)
{
	memset(res, 0, sizeof *res);
}

void
result_clear(struct ygg_result *res)
{
	if (res == NULL)
		return;
	free(res->text);
	for (size_t i = 0; i < res->narts; i++) {
		free(res->arts[i].name);
		free(res->arts[i].data);
	}
	free(res->arts);
	free(res->fail_reason);
	memset(res, 0, sizeof *res);
}

int
artifact_name_check(const char *name, size_t len, const char **why)
{
	const unsigned char *u = (const unsigned char *)name;
	size_t comp_start = 0, depth = 0;

	if (name == NULL || len == 0) {
		*why = "empty name";
		return -1;
	}
	if (len > ART_NAME_MAX) {
		*why = "name longer than 1024 bytes";
		return -1;
	}
	if (name[0] == '/') {
		*why = "absolute path";
		return -1;
	}
	for (size_t i = 0; i < len;) {
		if (u[i] == '\0') {
			*why = "NUL byte in name";
			return -1;
		}
		if (u[i] < 0x20 || u[i] == 0x7f) {
			*why = "control character in name";
			return -1;
		}
		if (u[i] == '\\') {
			*why = "backslash in name";
			return -1;
		}
		size_t n = utf8_seq_len(u + i, len - i);
		if (n == 0) {
			*why = "name is not valid UTF-8";
			return -1;
		}
		i += n;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '/')
			continue;
		size_t cl = i - comp_start;
		const char *c = name + comp_start;
		if (cl == 0) {
			*why = "empty path component";
			return -1;
		}
		if (cl == 1 && c[0] == '.') {
			*why = "\".\" path component";
			return -1;
		}
		if (cl == 2 && c[0] == '.' && c[1] == '.') {
			*why = "\"..\" path component";
			return -1;
		}
		if (cl > ART_COMPONENT_MAX) {
			*why = "path component longer than 255 bytes";
			return -1;
		}
		if (++depth > ART_DEPTH_MAX) {
			*why = "more than 16 levels of folders";
			return -1;
		}
		comp_start = i + 1;
	}
	return 0;
}

static int
api_result_set_text(ygg_result *res, const char *text, size_t len)
{
	free(res->text);
	res->text = xstrndup(text != NULL ? text : "", text != NULL ? len : 0);
	res->len = text != NULL ? len : 0;
	return 0;
}

static const char *api_artifact_name_problem(const char *name, size_t name_len);

static int
api_result_add_artifact(ygg_result *res, const char *name, size_t name_len, const char *data, size_t len)
{
	/* result.md: the core writes the result text there; an artifact must not replace it. */
	if (api_artifact_name_problem(name, name_len) != NULL)
		return -1;
	if (data == NULL && len > 0)
		return -1;
	for (size_t i = 0; i < res->narts; i++) {
		struct artifact *a = &res->arts[i];
		if (strlen(a->name) == name_len && memcmp(a->name, name, name_len) == 0) {
			free(a->data);
			a->data = xstrndup(data != NULL ? data : "", len);
			a->len = len;
			return 0;
		}
	}
	if (res->narts >= ART_COUNT_MAX)
		return -1;
	res->arts = xrealloc(res->arts, (res->narts + 1) * sizeof *res->arts);
	res->arts[res->narts].name = xstrndup(name, name_len);
	res->arts[res->narts].data = xstrndup(data != NULL ? data : "", len);
	res->arts[res->narts].len = len;
	res->narts++;
	return 0;
}

static void
api_result_fail(ygg_result *res, const char *reason)
{
	free(res->fail_reason);
	res->fail_reason = xstrdup(reason != NULL && *reason != '\0' ? reason : "the handler failed the task");
}

/* ---------------------------------------------------------------- tasks */

static void
log_at(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(level, fmt, ap);
	va_end(ap);
}

static void
api_log(const ygg_task *task, int level, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	enum log_level l;
	const char *plugin = NULL;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* One line per event, whatever the plugin passed. */
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (level <= YGG_LOG_ERROR)
		l = LOG_LVL_ERROR;
	else if (level == YGG_LOG_WARN)
		l = LOG_LVL_WARN;
	else if (level == YGG_LOG_INFO)
		l = LOG_LVL_INFO;
	else
		l = LOG_LVL_DEBUG;
	if (task != NULL)
		plugin = task->plugin_name;
	if (plugin == NULL)
		plugin = current_plugin != NULL ? current_plugin : "?";
	if (task != NULL && task->issue != NULL && task->issue->id != NULL)
		log_at(l, "plugin=%s task=%s %s", plugin, task->issue->id, msg);
	else
		log_at(l, "plugin=%s %s", plugin, msg);
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

static const char *
api_task_get(const ygg_task *task, const char *field)
{
	/* task_get hands out numbers formatted into the task's own scratch space. */
	struct ygg_task *t = (struct ygg_task *)task;
	const struct issue *is = task != NULL ? task->issue : NULL;

	if (task == NULL || field == NULL)
		return NULL;
	if (strcmp(field, "type") == 0)
		return nonempty(task->type);
	if (strcmp(field, "plugin") == 0)
		return nonempty(task->plugin_name);
	if (strcmp(field, "handler") == 0)
		return task->handler != NULL ? nonempty(task->handler->type) : NULL;
	if (strcmp(field, "host") == 0)
		return task->host != NULL ? nonempty(task->host->name) : NULL;
	if (strcmp(field, "model") == 0)
		return task->host != NULL ? nonempty(task->host->model) : NULL;
	if (strcmp(field, "attempt") == 0) {
		snprintf(t->scratch + 16, 16, "%d", task->attempt > 0 ? task->attempt : 1);
		return t->scratch + 16;
	}
	if (is == NULL)
		return NULL;
	if (strcmp(field, "id") == 0)
		return nonempty(is->id);
	if (strcmp(field, "title") == 0)
		return nonempty(is->title);
	if (strcmp(field, "description") == 0)
		return nonempty(is->description);
	if (strcmp(field, "design") == 0)
		return nonempty(is->design);
	if (strcmp(field, "acceptance_criteria") == 0)
		return nonempty(is->acceptance_criteria);
	if (strcmp(field, "notes") == 0)
		return nonempty(is->notes);
	if (strcmp(field, "issue_type") == 0)
		return nonempty(is->issue_type);
	if (strcmp(field, "priority") == 0) {
		snprintf(t->scratch, 16, "%d", is->priority);
		return t->scratch;
	}
	return NULL;
}

static const char *
api_task_config(const ygg_task *task, const char *key)
{
	const struct handler_conf *h = task != NULL ? task->handler : NULL;

	if (h == NULL || key == NULL)
		return NULL;
	for (char **kv = h->kv; kv != NULL && kv[0] != NULL && kv[1] != NULL; kv += 2)
		if (strcmp(kv[0], key) == 0)
			return kv[1];
	if (strcmp(key, "system_prompt") == 0)
		return nonempty(h->system_prompt);
	return NULL;
}

char *
task_prompt(const struct ygg_task *task)
{
	const struct issue *is = task != NULL ? task->issue : NULL;
	static const struct {
		size_t off;
		const char *heading;
	} sections[] = {
		{ offsetof(struct issue, design), "Design" },
		{ offsetof(struct issue, acceptance_criteria), "Acceptance criteria" },
		{ offsetof(struct issue, notes), "Notes" },
	};
	struct buf b;

	buf_init(&b);
	if (is == NULL) {
		buf_adds(&b, "Task: ?\nTitle: ");
		return buf_steal(&b);
	}
	buf_printf(&b, "Task: %s\nTitle: ", is->id != NULL ? is->id : "?");
	if (is->title != NULL)
		buf_adds(&b, is->title);
	if (nonempty(is->description) != NULL) {
		buf_adds(&b, "\n\n");
		buf_adds(&b, is->description);
	}
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		const char *text = *(char *const *)((const char *)is + sections[i].off);
		if (nonempty(text) == NULL)
			continue;
		buf_printf(&b, "\n\n%s:\n", sections[i].heading);
		buf_adds(&b, text);
	}
	return buf_steal(&b);
}

static char *
api_task_prompt(const ygg_task *task)
{
	return task_prompt(task);
}

/* ---------------------------------------------------------------- requests */

static int
api_request_set_system(ygg_request *req, const char *text)
{
	if (req == NULL || text == NULL)
		return -1;
	free(req->system);
	req->system = xstrdup(text);
	return 0;
}

static int
api_request_add_message(ygg_request *req, const char *role, const char *content)
{
	if (req == NULL || role == NULL || content == NULL)
		return -1;
	if (strcmp(role, "system") != 0 && strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0)
		return -1;
	req->msgs = xrealloc(req->msgs, (req->nmsgs + 1) * sizeof *req->msgs);
	req->msgs[req->nmsgs].role = xstrdup(role);
	req->msgs[req->nmsgs].content = xstrdup(content);
	req->nmsgs++;
	return 0;
}

/* Is s exactly one JSON value (white space around allowed)? */
static bool
json_value_valid(const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj;
	size_t n = strlen(s);
	bool ok;

	if (tok == NULL || n > (size_t)INT32_MAX - 1) {
		json_tokener_free(tok);
		return false;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, s, (int)n);
	/* A bare number is only complete once the tokener sees the end. */
	if (obj == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		obj = json_tokener_parse_ex(tok, "", 1);
	ok = obj != NULL && json_tokener_get_error(tok) == json_tokener_success;
	json_object_put(obj);
	json_tokener_free(tok);
	return ok;
}

static int
api_request_set_option(ygg_request *req, const char *name, const char *json_value)
{
	if (req == NULL || name == NULL || *name == '\0' || json_value == NULL || !json_value_valid(json_value))
		return -1;
	for (size_t i = 0; i < req->nopts; i++) {
		if (strcmp(req->opt_names[i], name) == 0) {
			free(req->opt_values[i]);
			req->opt_values[i] = xstrdup(json_value);
			return 0;
		}
	}
	req->opt_names = xrealloc(req->opt_names, (req->nopts + 1) * sizeof *req->opt_names);
	req->opt_values = xrealloc(req->opt_values, (req->nopts + 1) * sizeof *req->opt_values);
	req->opt_names[req->nopts] = xstrdup(name);
	req->opt_values[req->nopts] = xstrdup(json_value);
	req->nopts++;
	return 0;
}

static int
api_request_standard(const ygg_task *task, ygg_request *req, const char *default_system)
{
	const char *sys = api_task_config(task, "system_prompt");
	char *prompt;
	int rc;

	if (req == NULL)
		return -1;
	if (sys == NULL)
		sys = default_system;
	if (sys != NULL && api_request_set_system(req, sys) == -1)
		return -1;
	prompt = task_prompt(task);
	rc = api_request_add_message(req, "user", prompt);
	free(prompt);
	return rc;
}

/* ---------------------------------------------------------------- replies */

static const char *
api_reply_text(const ygg_reply *reply, size_t *len)
{
	const char *text = reply != NULL && reply->content != NULL ? reply->content : "";

	if (len != NULL)
		*len = reply != NULL && reply->content != NULL ? reply->len : 0;
	return text;
}

static char *
api_reply_answer(const ygg_task *task, const ygg_reply *reply, ygg_result *res, unsigned flags, size_t *len)
{
	size_t tlen;
	const char *text = api_reply_text(reply, &tlen);
	char *thoughts, *answer;
	size_t alen;

	text_split_think_len(text, tlen, &thoughts, &answer, &alen);
	if (alen == 0) {
		api_result_fail(res, thoughts != NULL ? "the model returned only <think> reasoning and no answer"
		                                      : "the model returned an empty reply");
		free(thoughts);
		free(answer);
		return NULL;
	}
	if (thoughts != NULL) {
		if (flags & YGG_ANSWER_KEEP_THOUGHTS) {
			struct buf b;
			buf_init(&b);
			buf_adds(&b, thoughts);
			buf_addc(&b, '\n');
			api_result_add_artifact(res, "thinking.md", 11, b.p, b.len);
			buf_free(&b);
		} else {
			api_log(task, YGG_LOG_DEBUG, "dropped %zu bytes of <think> reasoning from the reply",
			    strlen(thoughts));
		}
	}
	free(thoughts);
	if (len != NULL)
		*len = alen;
	return answer;
}

/* ---------------------------------------------------------------- text helpers */

/* Case-insensitive search for an ASCII needle in [h, h + hl). */
static const char *
find_ci(const char *h, size_t hl, const char *needle)
{
	size_t nl = strlen(needle);

	for (size_t i = 0; i + nl <= hl; i++)
		if (strncasecmp(h + i, needle, nl) == 0)
			return h + i;
	return NULL;
}

static void
add_thought(struct buf *b, const char *s, size_t len)
{
	trim(&s, &len);
	if (len == 0)
		return;
	if (b->len > 0)
		buf_adds(b, "\n\n");
	buf_add(b, s, len);
}

int
text_split_think(const char *text, size_t len, char **thoughts, char **answer)
{
	return text_split_think_len(text, len, thoughts, answer, NULL);
}

int
text_split_think_len(const char *text, size_t len, char **thoughts, char **answer, size_t *answer_len)
{
	static const char open_tag[] = "<think>", close_tag[] = "</think>";
	const size_t ol = sizeof open_tag - 1, cl = sizeof close_tag - 1;
	struct buf th, an;
	size_t pos = 0;
	const char *o, *c;

	buf_init(&th);
	buf_init(&an);
	if (text == NULL)
		text = "", len = 0;
	/* Some servers strip the opening tag: text, "</think>", answer. */
	c = find_ci(text, len, close_tag);
	o = find_ci(text, len, open_tag);
	if (c != NULL && (o == NULL || c < o)) {
		add_thought(&th, text, (size_t)(c - text));
		pos = (size_t)(c - text) + cl;
	}
	while (pos < len) {
		o = find_ci(text + pos, len - pos, open_tag);
		if (o == NULL) {
			buf_add(&an, text + pos, len - pos);
			break;
		}
		buf_add(&an, text + pos, (size_t)(o - (text + pos)));
		size_t body = (size_t)(o - text) + ol;
		c = find_ci(text + body, len - body, close_tag);
		if (c == NULL) {
			add_thought(&th, text + body, len - body);
			break;
		}
		add_thought(&th, text + body, (size_t)(c - (text + body)));
		pos = (size_t)(c - text) + cl;
	}
	const char *a = an.p != NULL ? an.p : "";
	size_t alen = an.len;
	trim(&a, &alen);
	*answer = xstrndup(a, alen);
	if (answer_len != NULL)
		*answer_len = alen; /* the reply may hold NUL bytes: strlen would stop at the first */
	buf_free(&an);
	*thoughts = th.len > 0 ? buf_steal(&th) : NULL;
	buf_free(&th);
	return 0;
}

size_t
text_cut(const char *text, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t cut, lo;

	if (len <= max)
		return len;
	/* Back up to the start of a character: text[cut] begins the next one. */
	cut = max;
	while (cut > 0 && (u[cut] & 0xc0) == 0x80)
		cut--;
	lo = max - max / 4;
	if (cut <= lo)
		return cut;
	for (size_t i = cut; i-- > lo;)
		if (text[i] == '\n' && i + 1 < len && text[i + 1] == '\n') {
			size_t end = i;
			while (end > lo && is_space(text[end - 1]))
				end--;
			if (end > lo)
				return end;
		}
	for (size_t i = cut; i-- > lo;)
		if ((text[i] == '.' || text[i] == '!' || text[i] == '?') && is_space(text[i + 1]))
			return i + 1;
	for (size_t i = cut; i-- > lo;)
		if (is_space(text[i])) {
			size_t end = i;
			while (end > lo && is_space(text[end - 1]))
				end--;
			if (end > lo)
				return end;
		}
	return cut;
}

/* The line starting at pos: its end (before '\n') and where the next one starts. */
static void
line_at(const char *text, size_t len, size_t pos, size_t *end, size_t *next)
{
	const char *nl = memchr(text + pos, '\n', len - pos);

	*end = nl != NULL ? (size_t)(nl - text) : len;
	*next = nl != NULL ? *end + 1 : len;
}

/*
 * Is [s, s + n) a fence line? Returns the fence length (>= 3) and sets *ch and
 * the info string; 0 when not. Up to 3 spaces of indent, then ``` or ~~~.
 */
static size_t
fence_open(const char *s, size_t n, char *ch, const char **info, size_t *info_len)
{
	size_t i = 0, run;

	while (i < n && i < 3 && s[i] == ' ')
		i++;
	if (i >= n || (s[i] != '`' && s[i] != '~'))
		return 0;
	*ch = s[i];
	for (run = 0; i + run < n && s[i + run] == *ch; run++)
		;
	if (run < 3)
		return 0;
	*info = s + i + run;
	*info_len = n - i - run;
	trim(info, info_len);
	/* CommonMark: a backtick fence's info string has no backticks. */
	if (*ch == '`' && memchr(*info, '`', *info_len) != NULL)
		return 0;
	return run;
}

/* Does [s, s + n) close a fence of ch at least min long? */
static bool
fence_close(const char *s, size_t n, char ch, size_t min)
{
	size_t i = 0, run = 0;

	while (i < n && i < 3 && s[i] == ' ')
		i++;
	while (i + run < n && s[i + run] == ch)
		run++;
	if (run < min)
		return false;
	for (i += run; i < n; i++)
		if (!is_space(s[i]))
			return false;
	return true;
}

static bool
key_is(const char *k, size_t kl, const char *name)
{
	return kl == strlen(name) && strncasecmp(k, name, kl) == 0;
}

/* Fill lang and path from an info string ("python file=src/x.py", "py:src/x.py"). */
static void
parse_info(struct ygg_code_block *b)
{
	const char *s = b->info;
	size_t n = b->info_len, i = 0;
	bool first = true;

	while (i < n) {
		while (i < n && is_space(s[i]))
			i++;
		if (i >= n)
			break;
		size_t start = i, eq = 0;
		const char *val = NULL;
		size_t vlen = 0;
		while (i < n && !is_space(s[i])) {
			if (s[i] == '=' && eq == 0) {
				eq = i;
				/* key="a value with spaces" */
				if (i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\'')) {
					char q = s[i + 1];
					const char *end = memchr(s + i + 2, q, n - i - 2);
					if (end != NULL) {
						val = s + i + 2;
						vlen = (size_t)(end - val);
						i = (size_t)(end - s) + 1;
						continue;
					}
				}
			}
			i++;
		}
		const char *tok = s + start;
		size_t tl = i - start;
		if (eq != 0) {
			size_t kl = eq - start;
			if (val == NULL)
				val = s + eq + 1, vlen = i - eq - 1;
			if (b->path_len == 0 && vlen > 0 &&
			    (key_is(tok, kl, "file") || key_is(tok, kl, "path") || key_is(tok, kl, "filename")))
				b->path = val, b->path_len = vlen;
		} else if (first) {
			const char *colon = memchr(tok, ':', tl);
			if (colon != NULL && colon > tok && (size_t)(colon - tok) + 1 < tl) {
				b->lang = tok, b->lang_len = (size_t)(colon - tok);
				if (b->path_len == 0)
					b->path = colon + 1, b->path_len = tl - b->lang_len - 1;
			} else if (memchr(tok, '/', tl) != NULL || (tl > 1 && memchr(tok + 1, '.', tl - 1) != NULL)) {
				if (b->path_len == 0)
					b->path = tok, b->path_len = tl;
			} else {
				b->lang = tok, b->lang_len = tl;
			}
		}
		first = false;
	}
}

/* A "File: src/x.py" line (also "**File:** `x`", "### Filename: x", "Path: x"). */
static void
parse_file_line(const char *s, size_t n, const char **path, size_t *plen)
{
	static const char *const prefixes[] = { "file:", "filename:", "file name:", "path:" };
	size_t i = 0;

	trim(&s, &n);
	while (i < n && strchr("#*_>- \t", s[i]) != NULL)
		i++;
	for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
		size_t pl = strlen(prefixes[k]);
		if (n - i < pl || strncasecmp(s + i, prefixes[k], pl) != 0)
			continue;
		i += pl;
		while (i < n && strchr("*_ \t", s[i]) != NULL)
			i++;
		if (i >= n)
			return;
		size_t start, end;
		if (s[i] == '`') {
			start = i + 1;
			const char *bt = memchr(s + start, '`', n - start);
			end = bt != NULL ? (size_t)(bt - s) : n;
		} else {
			start = i;
			for (end = start; end < n && !is_space(s[end]); end++)
				;
		}
		while (end > start && strchr("*_`:,", s[end - 1]) != NULL)
			end--;
		if (end > start)
			*path = s + start, *plen = end - start;
		return;
	}
}

void
text_code_blocks(const char *text, size_t len, ygg_code_block_cb *cb, void *arg)
{
	size_t pos = 0, prev_start = 0, prev_end = 0, end, next;
	bool have_prev = false;
	int blanks = 0;
	unsigned index = 0;

	if (text == NULL)
		return;
	while (pos < len) {
		struct ygg_code_block b;
		size_t flen;
		char ch;

		line_at(text, len, pos, &end, &next);
		memset(&b, 0, sizeof b);
		flen = fence_open(text + pos, end - pos, &ch, &b.info, &b.info_len);
		if (flen == 0) {
			const char *s = text + pos;
			size_t n = end - pos;
			trim(&s, &n);
			if (n > 0)
				have_prev = true, prev_start = pos, prev_end = end, blanks = 0;
			else
				blanks++;
			pos = next;
			continue;
		}
		b.size = sizeof b;
		b.index = ++index;
		b.body = text + next;
		b.terminated = 0;
		size_t p = next, after = len;
		while (p < len) {
			size_t e, nx;
			line_at(text, len, p, &e, &nx);
			if (fence_close(text + p, e - p, ch, flen)) {
				b.terminated = 1;
				after = nx;
				break;
			}
			p = nx;
		}
		b.body_len = (b.terminated ? p : len) - next;
		b.block = text + pos;
		b.block_len = after - pos;
		parse_info(&b);
		if (b.path_len == 0 && have_prev && blanks <= 1)
			parse_file_line(text + prev_start, prev_end - prev_start, &b.path, &b.path_len);
		if (cb(arg, &b) != 0)
			return;
		have_prev = false;
		blanks = 0;
		pos = after;
	}
}

static const char *
api_artifact_name_problem(const char *name, size_t name_len)
{
	const char *why = NULL;

	if (artifact_name_check(name, name_len, &why) == 0 && name_len == 9 && memcmp(name, "result.md", 9) == 0)
		why = "result.md is the core's own file";
	return why;
}

static void
api_free(void *p)
{
	free(p);
}

static const struct ygg_host_api host_api = {
	.size = sizeof(struct ygg_host_api),
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.log = api_log,
	.task_get = api_task_get,
	.task_config = api_task_config,
	.task_prompt = api_task_prompt,
	.request_set_system = api_request_set_system,
	.request_add_message = api_request_add_message,
	.request_set_option = api_request_set_option,
	.reply_text = api_reply_text,
	.result_set_text = api_result_set_text,
	.result_add_artifact = api_result_add_artifact,
	.result_fail = api_result_fail,
	.text_code_blocks = text_code_blocks,
	.text_split_think = text_split_think,
	.text_cut = text_cut,
	.free = api_free,
	.request_standard = api_request_standard,
	.reply_answer = api_reply_answer,
	.artifact_name_problem = api_artifact_name_problem,
};

const struct ygg_host_api *
hostapi_get(void)
{
	return &host_api;
}
