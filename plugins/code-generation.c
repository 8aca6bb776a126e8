/*
 * code-generation.c - code tasks. A code-focused system prompt asks for each
 * file in its own fenced block named by its info string; every fenced block of
 * the answer is saved as an artifact:
 *   - named by the block: ```python file=src/app.py (also path=, filename=,
 *     ```python:src/app.py, ```src/app.py) or a "File: src/app.py" line just
 *     before the fence;
 *   - else block-N.EXT, N counting the answer's blocks from 1 and EXT from the
 *     language (txt when unknown). A name the host refuses (absolute, "..",
 *     ...) falls back to block-N.EXT and is reported in the result.
 * The result text is the answer (code included) plus a list of the artifacts.
 *
 * Keys it reads from [handler.code-generation]: system_prompt.
 * <think> sections are kept out of the result and dropped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ygg/plugin.h"

#define CODE_SYSTEM                                                                              \
	"You are a senior software engineer. Solve the task with complete, working code: write "  \
	"out every part and leave nothing for later. Put each file in its own fenced code block " \
	"whose info string gives the language and the file's relative path, for example "        \
	"```python file=src/app.py . Follow the conventions of the language and include tests "   \
	"when the task asks for them. Keep explanations short and outside the code blocks."

static const struct ygg_host_api *api;

/* A growable string (plugins do not link the core's helpers). */
struct text {
	char *p;
	size_t len, cap;
};

static void
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (p == NULL)
			return;
		t->p = p, t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static const struct {
	const char *lang;
	const char *ext;
} exts[] = {
	{ "python", "py" }, { "py", "py" }, { "python3", "py" }, { "c", "c" }, { "h", "h" },
	{ "cpp", "cpp" }, { "c++", "cpp" }, { "cxx", "cpp" }, { "hpp", "hpp" }, { "cs", "cs" },
	{ "csharp", "cs" }, { "go", "go" }, { "golang", "go" }, { "rust", "rs" }, { "rs", "rs" },
	{ "java", "java" }, { "kotlin", "kt" }, { "kt", "kt" }, { "scala", "scala" }, { "swift", "swift" },
	{ "javascript", "js" }, { "js", "js" }, { "jsx", "jsx" }, { "typescript", "ts" }, { "ts", "ts" },
	{ "tsx", "tsx" }, { "ruby", "rb" }, { "rb", "rb" }, { "php", "php" }, { "perl", "pl" },
	{ "lua", "lua" }, { "r", "r" }, { "julia", "jl" }, { "haskell", "hs" }, { "elixir", "ex" },
	{ "erlang", "erl" }, { "zig", "zig" }, { "nim", "nim" }, { "dart", "dart" }, { "sql", "sql" },
	{ "sh", "sh" }, { "bash", "sh" }, { "shell", "sh" }, { "zsh", "sh" }, { "console", "txt" },
	{ "powershell", "ps1" }, { "ps1", "ps1" }, { "bat", "bat" }, { "html", "html" }, { "xml", "xml" },
	{ "svg", "svg" }, { "css", "css" }, { "scss", "scss" }, { "json", "json" }, { "jsonl", "jsonl" },
	{ "yaml", "yaml" }, { "yml", "yaml" }, { "toml", "toml" }, { "ini", "ini" }, { "markdown", "md" },
	{ "md", "md" }, { "dockerfile", "dockerfile" }, { "docker", "dockerfile" }, { "makefile", "mk" },
	{ "make", "mk" }, { "cmake", "cmake" }, { "diff", "diff" }, { "patch", "diff" }, { "proto", "proto" },
	{ "graphql", "graphql" }, { "tex", "tex" }, { "latex", "tex" }, { "nix", "nix" }, { "hcl", "hcl" },
	{ "terraform", "tf" }, { "vue", "vue" }, { "svelte", "svelte" }, { "text", "txt" }, { "txt", "txt" },
	{ "plaintext", "txt" }, { "csv", "csv" },
};

static const char *
ext_for(const char *lang, size_t len)
{
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (strlen(exts[i].lang) == len && strncasecmp(exts[i].lang, lang, len) == 0)
			return exts[i].ext;
	return "txt";
}

struct walk {
	const ygg_task *task;
	ygg_result *res;
	struct text list;  /* "- name (N bytes)" lines */
	struct text notes; /* refused names */
	unsigned files;
};

static int
code_block(void *arg, const struct ygg_code_block *b)
{
	struct walk *w = arg;
	char fallback[64];
	const char *name = b->path, *why = NULL;
	size_t name_len = b->path_len, i;

	for (i = 0; i < b->body_len; i++)
		if (b->body[i] != ' ' && b->body[i] != '\t' && b->body[i] != '\n' && b->body[i] != '\r')
			break;
	if (i == b->body_len)
		return 0;
	snprintf(fallback, sizeof fallback, "block-%u.%s", b->index, ext_for(b->lang, b->lang_len));
	if (name_len > 0 && (why = api->artifact_name_problem(name, name_len)) != NULL) {
		text_printf(&w->notes, "- block %u: file name \"%.*s\" refused (%s); saved as %s\n", b->index,
		    (int)(name_len > 200 ? 200 : name_len), name, why, fallback);
		name_len = 0;
	}
	if (name_len == 0)
		name = fallback, name_len = strlen(fallback);
	if (api->result_add_artifact(w->res, name, name_len, b->body, b->body_len) == -1) {
		text_printf(&w->notes, "- block %u: could not be saved as %.*s\n", b->index, (int)name_len, name);
		return 0;
	}
	w->files++;
	text_printf(&w->list, "- %.*s (%zu bytes%s)\n", (int)name_len, name, b->body_len,
	    b->terminated ? "" : ", unterminated: the reply ended inside it");
	return 0;
}

static int
code_init(const struct ygg_host_api *a, void **state)
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
code_build_request(void *state, const ygg_task *task, ygg_request *req)
{
	(void)state;
	if (api->request_standard(task, req, CODE_SYSTEM) == -1)
		return -1;
	return api->request_set_option(req, "temperature", "0.2");
}

static int
code_handle_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
{
	struct walk w = { .task = task, .res = res };
	struct text out = { 0 };
	size_t len;
	char *answer = api->reply_answer(task, reply, res, 0, &len);

	(void)state;
	if (answer == NULL)
		return -1;
	api->text_code_blocks(answer, len, code_block, &w);
	text_printf(&out, "%s", answer);
	if (w.files > 0)
		text_printf(&out, "\n\nArtifacts:\n%s", w.list.p);
	if (w.notes.len > 0)
		text_printf(&out, "%sRefused names:\n%s", w.files > 0 ? "" : "\n\n", w.notes.p);
	if (out.p == NULL) {
		api->free(answer);
		api->result_fail(res, "out of memory");
		return -1;
	}
	api->result_set_text(res, out.p, out.len);
	free(out.p);
	free(w.list.p);
	free(w.notes.p);
	api->free(answer);
	return 0;
}

static const char *const code_types[] = { "code-generation", NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = "code-generation",
	.version = "1.0.0",
	.description = "code tasks: fenced code blocks become artifact files",
	.types = code_types,
	.init = code_init,
	.fini = NULL,
	.build_request = code_build_request,
	.handle_reply = code_handle_reply,
};
