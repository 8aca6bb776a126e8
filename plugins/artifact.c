/*
 * artifact.c - tasks whose product is a set of files.
 *
 * The format asked of the model (and documented in plugins/README.md): one
 * fenced code block per file whose info string names it with file=PATH,
 * optionally after the language:
 *
 *     ```html file=site/index.html
 *     <!doctype html>...
 *     ```
 *
 * (path=, filename=, ```html:site/index.html and a "File: site/index.html" line
 * just before the fence are understood too.) Each named block becomes an
 * artifact, written by the core under artifacts_dir/<issue-id>/PATH. Names the
 * host refuses (absolute, "..", control characters, too long or deep...) are
 * listed in the result text and not written; blocks without a name are listed
 * and skipped. A reply with no file to write fails the task ("the reply
 * contained no files"). The result text lists the files, the refusals and the
 * model's words outside the blocks.
 *
 * Keys it reads from [handler.artifact]: system_prompt.
 * <think> sections are kept out of the result and dropped.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ygg/plugin.h"

#define ARTIFACT_SYSTEM                                                                                 \
	"You produce files. For every file the task needs, write one fenced code block whose info "      \
	"string is file= followed by the file's relative path, after the language if you like: for "     \
	"example ```html file=site/index.html . Use / between folders and never an absolute path or "    \
	"\"..\". Put the complete content of the file in its block and nothing else. After the files, " \
	"add one short paragraph saying what you made."

static const struct ygg_host_api *api;

/* A growable string (plugins do not link the core's helpers). */
struct text {
	char *p;
	size_t len, cap;
};

static void
text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (p == NULL)
			return;
		t->p = p, t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void
text_printf(struct text *t, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		text_add(t, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	text_add(t, big, (size_t)n);
	free(big);
}

struct walk {
	ygg_result *res;
	const char *answer;
	size_t prose_from;  /* where the text after the last block starts */
	struct text prose;  /* the answer without its blocks */
	struct text files;  /* "- name (N bytes)" lines */
	struct text refused;
	struct text refused_line; /* the same, on one line, for the failure reason */
	char **names;       /* distinct names written */
	size_t nnames;
};

static void
refuse(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
refuse(struct walk *w, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	text_printf(&w->refused, "- %s\n", line);
	text_printf(&w->refused_line, "%s%s", w->refused_line.len > 0 ? "; " : "", line);
}

static bool
seen(struct walk *w, const char *name, size_t len)
{
	for (size_t i = 0; i < w->nnames; i++)
		if (strlen(w->names[i]) == len && memcmp(w->names[i], name, len) == 0)
			return true;
	char **v = realloc(w->names, (w->nnames + 1) * sizeof *v);
	char *copy = malloc(len + 1);
	if (v == NULL || copy == NULL) {
		free(copy);
		if (v != NULL)
			w->names = v;
		return false;
	}
	memcpy(copy, name, len);
	copy[len] = '\0';
	w->names = v;
	w->names[w->nnames++] = copy;
	return false;
}

static int
file_block(void *arg, const struct ygg_code_block *b)
{
	struct walk *w = arg;
	size_t start = (size_t)(b->block - w->answer);
	const char *why;
	int nl = b->path_len > 200 ? 200 : (int)b->path_len;

	text_add(&w->prose, w->answer + w->prose_from, start - w->prose_from);
	w->prose_from = start + b->block_len;
	if (b->path_len == 0) {
		size_t i;
		for (i = 0; i < b->body_len; i++)
			if (b->body[i] != ' ' && b->body[i] != '\t' && b->body[i] != '\n' && b->body[i] != '\r')
				break;
		if (i < b->body_len)
			refuse(w, "block %u has no file name (file=PATH in its info string): skipped", b->index);
		return 0;
	}
	if ((why = api->artifact_name_problem(b->path, b->path_len)) != NULL) {
		refuse(w, "\"%.*s\": %s: not written", nl, b->path, why);
		return 0;
	}
	if (api->result_add_artifact(w->res, b->path, b->path_len, b->body, b->body_len) == -1) {
		refuse(w, "\"%.*s\": could not be added: not written", nl, b->path);
		return 0;
	}
	bool again = seen(w, b->path, b->path_len);
	text_printf(&w->files, "- %.*s (%zu bytes%s%s)\n", (int)b->path_len, b->path, b->body_len,
	    again ? ", replaces an earlier block with this name" : "",
	    b->terminated ? "" : ", unterminated: the reply ended inside it");
	return 0;
}

static int
artifact_init(const struct ygg_host_api *a, void **state)
{
	(void)state;
	if (!YGG_HOST_API_HAS(a, artifact_name_problem)) {
		a->log(NULL, YGG_LOG_ERROR, "this yggd's host API is too old for this plugin");
		return -1;
	}
	api = a;
	return 0;
}

static int
artifact_build_request(void *state, const ygg_task *task, ygg_request *req)
{
	(void)state;
	if (api->request_standard(task, req, ARTIFACT_SYSTEM) == -1)
		return -1;
	return api->request_set_option(req, "temperature", "0.2");
}

static void
walk_free(struct walk *w)
{
	free(w->prose.p);
	free(w->files.p);
	free(w->refused.p);
	free(w->refused_line.p);
	for (size_t i = 0; i < w->nnames; i++)
		free(w->names[i]);
	free(w->names);
}

/* The prose without surrounding white space. */
static void
prose_trimmed(const struct text *t, const char **s, size_t *n)
{
	*s = t->p != NULL ? t->p : "";
	*n = t->len;
	while (*n > 0 && (**s == ' ' || **s == '\n' || **s == '\t' || **s == '\r'))
		(*s)++, (*n)--;
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\n' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

static int
artifact_handle_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
{
	struct walk w = { .res = res };
	struct text out = { 0 };
	const char *prose;
	size_t len, plen;
	char *answer = api->reply_answer(task, reply, res, 0, &len);

	(void)state;
	if (answer == NULL)
		return -1;
	w.answer = answer;
	api->text_code_blocks(answer, len, file_block, &w);
	text_add(&w.prose, answer + w.prose_from, len - w.prose_from);
	api->free(answer);
	if (w.nnames == 0) {
		if (w.refused_line.len > 0) {
			text_printf(&out, "the reply contained no files (%s)", w.refused_line.p);
			api->result_fail(res, out.p != NULL ? out.p : "the reply contained no files");
		} else {
			api->result_fail(res, "the reply contained no files");
		}
		free(out.p);
		walk_free(&w);
		return -1;
	}
	text_printf(&out, "Files (%zu):\n%s", w.nnames, w.files.p);
	if (w.refused.len > 0)
		text_printf(&out, "\nRefused:\n%s", w.refused.p);
	prose_trimmed(&w.prose, &prose, &plen);
	if (plen > 0) {
		text_add(&out, "\n", 1);
		text_add(&out, prose, plen);
		text_add(&out, "\n", 1);
	}
	walk_free(&w);
	if (out.p == NULL) {
		api->result_fail(res, "out of memory");
		return -1;
	}
	api->result_set_text(res, out.p, out.len);
	free(out.p);
	return 0;
}

static const char *const artifact_types[] = { "artifact", NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = "artifact",
	.version = "1.0.0",
	.description = "file-producing tasks: file=PATH blocks become artifact files",
	.types = artifact_types,
	.init = artifact_init,
	.fini = NULL,
	.build_request = artifact_build_request,
	.handle_reply = artifact_handle_reply,
};
