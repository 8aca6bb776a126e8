/*
 * check_handlers.c - the six in-tree handler plugins, loaded from build/plugins
 * through the loader: the requests they build (system prompt, the operator's
 * override, the user message, options) and what they make of canned replies
 * fed through the real stream parsers in both wire formats (Ollama NDJSON and
 * OpenAI SSE).
 */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "ygg.h"

static const char *const six[] = { "artifact", "code-generation", "general", "reasoning", "summarize",
	"text-processing" };

static char *root;
static struct plugin_set ps;
static struct buf logged;

static void
log_capture(enum log_level level, const char *line, void *arg)
{
	(void)level, (void)arg;
	buf_adds(&logged, line);
	buf_addc(&logged, '\n');
}

/* The six built plugins, loaded through the loader. */
static void
setup(void)
{
	char *dir, *cause = NULL;

	buf_init(&logged);
	log_init("yggd", 0);
	log_set_level(LOG_LVL_ERROR);
	log_set_hook(log_capture, NULL);
	root = tu_tmpdir();
	plugin_set_init(&ps);
	/* Straight from the build tree when its modes allow (umask 022)... */
	dir = tu_build("plugins");
	if (plugin_load_dir(&ps, dir, NULL) == 6 && TAILQ_EMPTY(&ps.errors)) {
		free(dir);
		return;
	}
	plugin_set_clear(&ps);
	free(dir);
	/* ...else from a copy in a folder with the modes the loader wants. */
	dir = path_join(root, "plugins");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	chmod(dir, 0755);
	for (size_t i = 0; i < sizeof six / sizeof six[0]; i++) {
		char *rel = xasprintf("plugins/%s.so", six[i]);
		char *src = tu_build(rel), *data, *dst = xasprintf("%s/%s.so", dir, six[i]);
		size_t len;
		FILE *f;
		ck_assert_msg(read_file(src, &data, &len) == 0, "cannot read %s (build the plugins)", src);
		f = fopen(dst, "w");
		ck_assert_ptr_nonnull(f);
		fwrite(data, 1, len, f);
		fclose(f);
		chmod(dst, 0644);
		free(data), free(dst), free(src), free(rel);
	}
	plugin_set_init(&ps);
	ck_assert_msg(plugin_load_dir(&ps, dir, &cause) == 6, "loaded fewer than six: %s\n%s", cause ? cause : "",
	    logged.p ? logged.p : "");
	ck_assert(TAILQ_EMPTY(&ps.errors));
	free(dir);
}

static void
teardown(void)
{
	plugin_set_clear(&ps);
	log_set_hook(NULL, NULL);
	buf_free(&logged);
	tu_rmtree(root);
	free(root);
}

/* The task every case runs: one issue, one handler section, one host. */
struct fixture {
	struct issue is;
	struct handler_conf h;
	struct host_conf host;
	struct ygg_task t;
	struct plugin *p;
};

static void
fixture_init(struct fixture *f, const char *plugin, char **kv)
{
	memset(f, 0, sizeof *f);
	f->p = plugin_find(&ps, plugin);
	ck_assert_msg(f->p != NULL, "plugin %s not loaded", plugin);
	f->is.id = "bd-42";
	f->is.title = "Handle the thing";
	f->is.description = "Do it well.\nTwo lines.";
	f->is.acceptance_criteria = "It is done.";
	f->is.priority = 1;
	f->h.type = (char *)f->p->desc->types[0];
	f->h.kv = kv;
	f->host.name = "skadi";
	f->host.model = "qwen2.5-coder:7b";
	f->host.api = API_OLLAMA;
	f->host.url = "http://127.0.0.1:1";
	f->t.issue = &f->is;
	f->t.handler = &f->h;
	f->t.host = &f->host;
	f->t.type = f->p->desc->types[0];
	f->t.plugin_name = f->p->name;
	f->t.attempt = 1;
}

/* ---------------------------------------------------------------- build_request */

static const struct {
	const char *plugin;
	const char *phrase; /* in the default system prompt */
} prompts[] = {
	{ "general", "Do what the task asks" },
	{ "text-processing", "editor" },
	{ "reasoning", "step by step" },
	{ "summarize", "at most 200 words" },
	{ "code-generation", "file=src/app.py" },
	{ "artifact", "file= followed by the file's relative path" },
};

START_TEST(test_build_request_prompts)
{
	struct fixture f;
	struct ygg_request req;
	char *user;
	char *kv[] = { "system_prompt", "Be brief and kind.", NULL };

	fixture_init(&f, prompts[_i].plugin, NULL);
	request_init(&req);
	ck_assert_int_eq(f.p->desc->build_request(f.p->state, &f.t, &req), 0);
	ck_assert_ptr_nonnull(req.system);
	ck_assert_msg(strstr(req.system, prompts[_i].phrase) != NULL, "%s: %s", prompts[_i].plugin, req.system);
	ck_assert_uint_eq(req.nmsgs, 1);
	ck_assert_str_eq(req.msgs[0].role, "user");
	user = task_prompt(&f.t);
	ck_assert_str_eq(req.msgs[0].content, user);
	ck_assert_str_eq(user, "Task: bd-42\nTitle: Handle the thing\n\nDo it well.\nTwo lines.\n\n"
	                       "Acceptance criteria:\nIt is done.");
	free(user);
	request_clear(&req);

	/* system_prompt = in the handler section replaces the plugin's own. */
	f.h.kv = kv;
	request_init(&req);
	ck_assert_int_eq(f.p->desc->build_request(f.p->state, &f.t, &req), 0);
	ck_assert_str_eq(req.system, "Be brief and kind.");
	ck_assert_uint_eq(req.nmsgs, 1);
	request_clear(&req);

	/* A retry builds the same request again. */
	f.t.attempt = 2;
	request_init(&req);
	ck_assert_int_eq(f.p->desc->build_request(f.p->state, &f.t, &req), 0);
	ck_assert_str_eq(req.system, "Be brief and kind.");
	request_clear(&req);
}
END_TEST

static const char *
option(const struct ygg_request *req, const char *name)
{
	for (size_t i = 0; i < req->nopts; i++)
		if (strcmp(req->opt_names[i], name) == 0)
			return req->opt_values[i];
	return NULL;
}

static const struct {
	const char *plugin;
	const char *kv[7];
	int rc;
	const char *temperature, *max_tokens; /* NULL: not set */
	const char *system_has;
	const char *log_has;
} options[] = {
	{ "general", { NULL }, 0, NULL, NULL, NULL, NULL },
	{ "text-processing", { NULL }, 0, NULL, NULL, NULL, NULL },
	{ "reasoning", { NULL }, 0, NULL, NULL, NULL, NULL },
	{ "code-generation", { NULL }, 0, "0.2", NULL, NULL, NULL },
	{ "artifact", { NULL }, 0, "0.2", NULL, NULL, NULL },
	{ "summarize", { NULL }, 0, "0.3", "656", "at most 200 words", NULL },
	{ "summarize", { "max_words", "50", NULL }, 0, "0.3", "356", "at most 50 words", NULL },
	{ "summarize", { "max_words", "50", "max_tokens", "80", NULL }, 0, "0.3", "80", "at most 50 words", NULL },
	{ "summarize", { "max_tokens", "0", NULL }, 0, "0.3", NULL, NULL, NULL },
	{ "summarize", { "max_words", "abc", NULL }, -1, NULL, NULL, NULL,
	    "plugin=summarize task=bd-42 [handler.summarize] max_words = abc: expected a whole number from 10 to 100000" },
	{ "summarize", { "max_words", "5", NULL }, -1, NULL, NULL, NULL, "max_words = 5: expected" },
	{ "summarize", { "max_tokens", "-1", NULL }, -1, NULL, NULL, NULL, "max_tokens = -1: expected" },
	{ "summarize", { "max_chars", "12x", NULL }, -1, NULL, NULL, NULL, "max_chars = 12x: expected" },
};

START_TEST(test_build_request_options)
{
	struct fixture f;
	struct ygg_request req;

	fixture_init(&f, options[_i].plugin, (char **)options[_i].kv);
	request_init(&req);
	ck_assert_int_eq(f.p->desc->build_request(f.p->state, &f.t, &req), options[_i].rc);
	if (options[_i].rc == 0) {
		const char *t = option(&req, "temperature"), *m = option(&req, "max_tokens");
		ck_assert_msg((t == NULL) == (options[_i].temperature == NULL) &&
		        (t == NULL || strcmp(t, options[_i].temperature) == 0),
		    "temperature %s", t ? t : "unset");
		ck_assert_msg((m == NULL) == (options[_i].max_tokens == NULL) &&
		        (m == NULL || strcmp(m, options[_i].max_tokens) == 0),
		    "max_tokens %s", m ? m : "unset");
		if (options[_i].system_has != NULL)
			ck_assert_msg(strstr(req.system, options[_i].system_has) != NULL, "%s", req.system);
	}
	if (options[_i].log_has != NULL)
		ck_assert_msg(logged.p != NULL && strstr(logged.p, options[_i].log_has) != NULL, "log: %s",
		    logged.p ? logged.p : "");
	request_clear(&req);
}
END_TEST

/* The summary's bound reaches the wire in each API's spelling. */
START_TEST(test_summarize_bound_on_the_wire)
{
	static const struct {
		enum api_kind api;
		const char *pointer;
	} wires[] = { { API_OLLAMA, "/options/num_predict" }, { API_OPENAI, "/max_tokens" } };
	struct fixture f;
	struct ygg_request req;

	fixture_init(&f, "summarize", NULL);
	request_init(&req);
	ck_assert_int_eq(f.p->desc->build_request(f.p->state, &f.t, &req), 0);
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		struct json_object *body, *v;
		f.host.api = wires[i].api;
		char *text = llm_request_body(&f.host, &req, &len);
		body = json_tokener_parse(text);
		ck_assert_msg(body != NULL, "%s", text);
		ck_assert_msg(json_pointer_get(body, wires[i].pointer, &v) == 0, "%s not in %s", wires[i].pointer, text);
		ck_assert_int_eq(json_object_get_int(v), 656);
		ck_assert_msg(strstr(text, "Task: bd-42") != NULL, "%s", text);
		json_object_put(body);
		free(text);
	}
	request_clear(&req);
}
END_TEST

/* ---------------------------------------------------------------- handle_reply */

/* The reply as the stream parser builds it from the wire, pieces of 1-5 characters. */
static struct llm_stream *
stream_of(enum api_kind api, const char *content)
{
	struct llm_stream *s = llm_stream_new(api, 0);
	size_t len = strlen(content), pos = 0, step = 0;
	struct buf wire;

	buf_init(&wire);
	while (pos < len) {
		size_t n = 1 + step++ % 5;
		if (n > len - pos)
			n = len - pos;
		/* Never split a character: each piece is its own JSON string. */
		while (pos + n < len && ((unsigned char)content[pos + n] & 0xc0) == 0x80)
			n++;
		if (api == API_OLLAMA) {
			buf_adds(&wire, "{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":"
			                "{\"role\":\"assistant\",\"content\":");
			json_append_string(&wire, content + pos, n);
			buf_adds(&wire, "},\"done\":false}\n");
		} else {
			buf_adds(&wire, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\","
			                "\"choices\":[{\"index\":0,\"delta\":{\"content\":");
			json_append_string(&wire, content + pos, n);
			buf_adds(&wire, "},\"finish_reason\":null}]}\n\n");
		}
		pos += n;
	}
	if (api == API_OLLAMA) {
		buf_adds(&wire, "{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:01Z\",\"message\":{\"role\":"
		                "\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
		                "\"prompt_eval_count\":12,\"eval_count\":7,\"eval_duration\":1000000}\n");
	} else {
		buf_adds(&wire, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\","
		                "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
		                "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\","
		                "\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,"
		                "\"total_tokens\":19}}\n\n"
		                "data: [DONE]\n\n");
	}
	/* Fed in odd-sized slices, as the network would. */
	for (size_t i = 0; i < wire.len; i += 7)
		ck_assert_int_eq(llm_stream_feed(s, wire.p + i, wire.len - i < 7 ? wire.len - i : 7), 0);
	ck_assert_int_eq(llm_stream_finish(s), 0);
	ck_assert_str_eq(llm_stream_reply(s)->content, content);
	buf_free(&wire);
	return s;
}

struct want_art {
	const char *name, *data;
};

static const struct {
	const char *what;
	const char *plugin;
	const char *kv[5];
	const char *reply;
	const char *text;         /* exact result text, or NULL */
	const char *text_has[3];  /* substrings of the result text */
	size_t max_chars;         /* the text is a prefix of the reply within this many characters */
	const char *fail;         /* handle_reply fails with this reason */
	struct want_art arts[4];  /* exactly these artifacts, in order */
} replies[] = {
	{ "general answer", "general", { NULL }, "Hello there.\n", "Hello there.", { NULL }, 0, NULL, { { NULL, NULL } } },
	{ "general drops think", "general", { NULL }, "<think>pondering</think>\n\nHello.", "Hello.", { NULL }, 0,
	    NULL, { { NULL, NULL } } },
	{ "text-processing", "text-processing", { NULL }, "# Title\n\nRewritten text, caf\xc3\xa9.\n",
	    "# Title\n\nRewritten text, caf\xc3\xa9.", { NULL }, 0, NULL, { { NULL, NULL } } },
	{ "reasoning keeps thoughts", "reasoning", { NULL },
	    "<think>\nstep one\nstep two\n</think>\n\nThe answer is 42.", "The answer is 42.", { NULL }, 0, NULL,
	    { { "thinking.md", "step one\nstep two\n" } } },
	{ "reasoning without a think tag", "reasoning", { NULL }, "Plainly: 42.", "Plainly: 42.", { NULL }, 0, NULL,
	    { { NULL, NULL } } },
	{ "reasoning with only thoughts", "reasoning", { NULL }, "<think>I wonder</think>\n", NULL, { NULL }, 0,
	    "the model returned only <think> reasoning and no answer", { { NULL, NULL } } },
	{ "summarize short stays whole", "summarize", { NULL }, "A short summary.", "A short summary.", { NULL }, 0,
	    NULL, { { NULL, NULL } } },
	{ "summarize cut at a sentence", "summarize", { "max_chars", "100", NULL },
	    "The first point is made here. The second point follows it. The third point comes after them. "
	    "A fourth point is long enough to cross the limit.",
	    "The first point is made here. The second point follows it. The third point comes after them.", { NULL },
	    100, NULL, { { NULL, NULL } } },
	{ "summarize counts characters, not bytes", "summarize", { "max_chars", "100", NULL },
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	    NULL, { NULL }, 100, NULL, { { NULL, NULL } } },
	{ "code blocks become artifacts", "code-generation", { NULL },
	    "Here is the code.\n\n```python file=src/app.py\nprint('hi')\n```\n\nRun it:\n\n```sh\npython src/app.py\n```\n",
	    "Here is the code.\n\n```python file=src/app.py\nprint('hi')\n```\n\nRun it:\n\n```sh\npython src/app.py\n```"
	    "\n\nArtifacts:\n- src/app.py (12 bytes)\n- block-2.sh (18 bytes)\n",
	    { NULL }, 0, NULL, { { "src/app.py", "print('hi')\n" }, { "block-2.sh", "python src/app.py\n" } } },
	{ "File: line names a block", "code-generation", { NULL },
	    "File: lib/util.c\n```c\nint f(void);\n```\n\n**File:** `lib/util.h`\n~~~c\n#pragma once\n~~~",
	    NULL, { "- lib/util.c (13 bytes)\n", "- lib/util.h (13 bytes)\n" }, 0, NULL,
	    { { "lib/util.c", "int f(void);\n" }, { "lib/util.h", "#pragma once\n" } } },
	{ "unsafe name falls back", "code-generation", { NULL }, "```python file=../evil.py\nx = 1\n```", NULL,
	    { "Refused names:\n- block 1: file name \"../evil.py\" refused (\"..\" path component); saved as block-1.py\n",
	        "- block-1.py (6 bytes)\n" },
	    0, NULL, { { "block-1.py", "x = 1\n" } } },
	{ "unknown language, unterminated block", "code-generation", { NULL }, "```brainfuck\n+++\n", NULL,
	    { "- block-1.txt (3 bytes, unterminated: the reply ended inside it)\n" }, 0, NULL,
	    { { "block-1.txt", "+++" } } },
	{ "no code is fine", "code-generation", { NULL }, "There is nothing to write.",
	    "There is nothing to write.", { NULL }, 0, NULL, { { NULL, NULL } } },
	{ "code ignores code inside think", "code-generation", { NULL },
	    "<think>```py\ndraft\n```</think>```py file=a.py\nfinal\n```", NULL, { "- a.py (6 bytes)\n" }, 0, NULL,
	    { { "a.py", "final\n" } } },
	{ "artifact files", "artifact", { NULL },
	    "```html file=site/index.html\n<h1>Hi</h1>\n```\n\n```txt file=/etc/passwd\nroot\n```\n\n"
	    "```\nno name here\n```\n\nI made a page.",
	    "Files (1):\n- site/index.html (12 bytes)\n\nRefused:\n- \"/etc/passwd\": absolute path: not written\n"
	    "- block 3 has no file name (file=PATH in its info string): skipped\n\nI made a page.\n",
	    { NULL }, 0, NULL, { { "site/index.html", "<h1>Hi</h1>\n" } } },
	{ "artifact folders, empty file, same name twice", "artifact", { NULL },
	    "```py file=pkg/__init__.py\n```\n```py file=pkg/mod.py\nv = 1\n```\n```py file=pkg/mod.py\nv = 2\n```\n",
	    "Files (2):\n- pkg/__init__.py (0 bytes)\n- pkg/mod.py (6 bytes)\n"
	    "- pkg/mod.py (6 bytes, replaces an earlier block with this name)\n",
	    { NULL }, 0, NULL, { { "pkg/__init__.py", "" }, { "pkg/mod.py", "v = 2\n" } } },
	{ "artifact other name styles", "artifact", { NULL },
	    "```json:conf/a.json\n{}\n```\nFile: docs/b.md\n```md\n# B\n```\n", NULL,
	    { "Files (2):\n- conf/a.json (3 bytes)\n- docs/b.md (4 bytes)\n" }, 0, NULL,
	    { { "conf/a.json", "{}\n" }, { "docs/b.md", "# B\n" } } },
	{ "artifact with no files", "artifact", { NULL }, "Sorry, I cannot do that.", NULL, { NULL }, 0,
	    "the reply contained no files", { { NULL, NULL } } },
	{ "artifact with only refused files", "artifact", { NULL }, "```file=../x\nx\n```\n```\ny\n```", NULL, { NULL }, 0,
	    "the reply contained no files (\"../x\": \"..\" path component: not written; block 2 has no file name "
	    "(file=PATH in its info string): skipped)",
	    { { NULL, NULL } } },
	{ "artifact result.md is the core's", "artifact", { NULL }, "```md file=result.md\nmine\n```\n```md file=ok.md\nok\n```",
	    NULL, { "- \"result.md\": result.md is the core's own file: not written\n" }, 0, NULL,
	    { { "ok.md", "ok\n" } } },
};

static void
check_reply(size_t i, enum api_kind api)
{
	struct fixture f;
	struct ygg_result res;
	struct llm_stream *s;
	size_t nwant = 0;
	int rc;

	fixture_init(&f, replies[i].plugin, (char **)replies[i].kv);
	f.host.api = api;
	s = stream_of(api, replies[i].reply);
	result_init(&res);
	rc = f.p->desc->handle_reply(f.p->state, &f.t, llm_stream_reply(s), &res);
	if (replies[i].fail != NULL) {
		ck_assert_msg(rc == -1, "%s: succeeded with \"%s\"", replies[i].what, res.text ? res.text : "");
		ck_assert_ptr_nonnull(res.fail_reason);
		ck_assert_str_eq(res.fail_reason, replies[i].fail);
	} else {
		ck_assert_msg(rc == 0, "%s: failed: %s", replies[i].what, res.fail_reason ? res.fail_reason : "?");
		ck_assert_ptr_null(res.fail_reason);
		ck_assert_ptr_nonnull(res.text);
		ck_assert_uint_eq(strlen(res.text), res.len);
		if (replies[i].text != NULL)
			ck_assert_str_eq(res.text, replies[i].text);
		for (size_t k = 0; k < 3 && replies[i].text_has[k] != NULL; k++)
			ck_assert_msg(strstr(res.text, replies[i].text_has[k]) != NULL, "%s: \"%s\" not in:\n%s",
			    replies[i].what, replies[i].text_has[k], res.text);
		if (replies[i].max_chars > 0) {
			size_t chars = 0;
			for (size_t b = 0; b < res.len; b++)
				chars += ((unsigned char)res.text[b] & 0xc0) != 0x80;
			ck_assert_uint_le(chars, replies[i].max_chars);
			ck_assert_uint_ge(chars, replies[i].max_chars * 3 / 4);
			ck_assert(strncmp(res.text, replies[i].reply, res.len) == 0);
		}
	}
	while (nwant < 4 && replies[i].arts[nwant].name != NULL)
		nwant++;
	ck_assert_msg(res.narts == nwant, "%s: %zu artifacts, want %zu", replies[i].what, res.narts, nwant);
	for (size_t k = 0; k < nwant; k++) {
		ck_assert_str_eq(res.arts[k].name, replies[i].arts[k].name);
		ck_assert_uint_eq(res.arts[k].len, strlen(replies[i].arts[k].data));
		ck_assert_str_eq(res.arts[k].data, replies[i].arts[k].data);
	}
	result_clear(&res);
	llm_stream_free(s);
}

START_TEST(test_reply_ollama)
{
	check_reply((size_t)_i, API_OLLAMA);
}
END_TEST

START_TEST(test_reply_openai)
{
	check_reply((size_t)_i, API_OPENAI);
}
END_TEST

/* Every plugin refuses an empty or blank reply with the same words. */
static const char *const blanks[] = { "", " \n\t\n" };

START_TEST(test_empty_reply_fails)
{
	const char *plugin = six[_i / 4];
	enum api_kind api = (_i / 2) % 2 ? API_OPENAI : API_OLLAMA;
	struct fixture f;
	struct ygg_result res;
	struct llm_stream *s;

	fixture_init(&f, plugin, NULL);
	s = stream_of(api, blanks[_i % 2]);
	result_init(&res);
	ck_assert_int_eq(f.p->desc->handle_reply(f.p->state, &f.t, llm_stream_reply(s), &res), -1);
	ck_assert_msg(res.fail_reason != NULL && strcmp(res.fail_reason, "the model returned an empty reply") == 0,
	    "%s: %s", plugin, res.fail_reason ? res.fail_reason : "(none)");
	ck_assert_uint_eq(res.narts, 0);
	result_clear(&res);
	llm_stream_free(s);
}
END_TEST

START_TEST(test_descriptors)
{
	for (size_t i = 0; i < sizeof six / sizeof six[0]; i++) {
		struct plugin *p = plugin_find(&ps, six[i]);
		ck_assert_msg(p != NULL, "%s", six[i]);
		ck_assert_str_eq(p->version, "1.0.0");
		/* Each serves exactly the type of its name. */
		ck_assert_str_eq(p->desc->types[0], six[i]);
		ck_assert_ptr_null(p->desc->types[1]);
		ck_assert_ptr_eq(plugin_for_type(&ps, six[i]), p);
		ck_assert_ptr_nonnull(p->desc->description);
	}
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *
handlers_suite(void)
{
	Suite *s = suite_create("handlers");
	TCase *tc = tcase_create("handlers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_descriptors);
	tcase_add_loop_test(tc, test_build_request_prompts, 0, N(prompts));
	tcase_add_loop_test(tc, test_build_request_options, 0, N(options));
	tcase_add_test(tc, test_summarize_bound_on_the_wire);
	tcase_add_loop_test(tc, test_reply_ollama, 0, N(replies));
	tcase_add_loop_test(tc, test_reply_openai, 0, N(replies));
	tcase_add_loop_test(tc, test_empty_reply_fails, 0, N(six) * 4);
	suite_add_tcase(s, tc);
	return s;
}
