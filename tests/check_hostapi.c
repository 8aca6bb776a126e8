/*
 * check_hostapi.c - the host API plugins call: artifact names, fenced code
 * blocks, <think> sections, cutting text, the standard prompt, task fields,
 * requests, results and log lines.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ygg.h"

static const struct ygg_host_api *api;

static void
setup(void)
{
	api = hostapi_get();
}

/* ---------------------------------------------------------------- artifact names */

static char *
repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* "a/a/a..." with n components */
static char *
levels(size_t n)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < n; i++)
		buf_adds(&b, i == 0 ? "a" : "/a");
	return buf_steal(&b);
}

static const struct {
	const char *name;
	size_t len; /* 0: strlen */
	const char *why; /* NULL: accepted */
} name_cases[] = {
	{ "a.txt", 0, NULL },
	{ "src/x.py", 0, NULL },
	{ "a/b/c/d.md", 0, NULL },
	{ ".hidden", 0, NULL },
	{ "..a", 0, NULL },
	{ "a..", 0, NULL },
	{ "dir.d/file", 0, NULL },
	{ "\xe6\x97\xa5\xe6\x9c\xac.txt", 0, NULL },
	{ "with space.txt", 0, NULL },
	{ "", 0, "empty name" },
	{ "/etc/passwd", 0, "absolute path" },
	{ "..", 0, "\"..\" path component" },
	{ "../x", 0, "\"..\" path component" },
	{ "a/../b", 0, "\"..\" path component" },
	{ "a/..", 0, "\"..\" path component" },
	{ ".", 0, "\".\" path component" },
	{ "./a", 0, "\".\" path component" },
	{ "a/./b", 0, "\".\" path component" },
	{ "a//b", 0, "empty path component" },
	{ "a/", 0, "empty path component" },
	{ "a\\b", 0, "backslash in name" },
	{ "..\\x", 0, "backslash in name" },
	{ "a\x01" "b", 0, "control character in name" },
	{ "a\nb", 0, "control character in name" },
	{ "a\x7f", 0, "control character in name" },
	{ "a\0b", 3, "NUL byte in name" },
	{ "\xff.txt", 0, "name is not valid UTF-8" },
	{ "\xc0\xaf.txt", 0, "name is not valid UTF-8" },
};

START_TEST(test_artifact_name_table)
{
	const char *why = NULL;
	size_t len = name_cases[_i].len ? name_cases[_i].len : strlen(name_cases[_i].name);
	int rc = artifact_name_check(name_cases[_i].name, len, &why);

	if (name_cases[_i].why == NULL) {
		ck_assert_msg(rc == 0, "\"%s\" refused: %s", name_cases[_i].name, why);
	} else {
		ck_assert_msg(rc == -1, "\"%s\" accepted", name_cases[_i].name);
		ck_assert_str_eq(why, name_cases[_i].why);
	}
}
END_TEST

START_TEST(test_artifact_name_limits)
{
	const char *why = NULL;
	char *c255 = repeat('x', 255), *c256 = repeat('x', 256);
	char *l16 = levels(16), *l17 = levels(17);
	char *n1024 = repeat('y', 1024);
	struct buf b;

	ck_assert_int_eq(artifact_name_check(c255, 255, &why), 0);
	ck_assert_int_eq(artifact_name_check(c256, 256, &why), -1);
	ck_assert_str_eq(why, "path component longer than 255 bytes");
	ck_assert_int_eq(artifact_name_check(l16, strlen(l16), &why), 0);
	ck_assert_int_eq(artifact_name_check(l17, strlen(l17), &why), -1);
	ck_assert_str_eq(why, "more than 16 levels of folders");
	/* 1024 bytes in all: four 254-byte folders and a 4-byte file name. */
	buf_init(&b);
	for (int i = 0; i < 4; i++)
		buf_printf(&b, "%s/", c255 + 1);
	buf_add(&b, n1024, 1024 - b.len);
	ck_assert_uint_eq(b.len, 1024);
	ck_assert_int_eq(artifact_name_check(b.p, b.len, &why), 0);
	buf_addc(&b, 'z');
	ck_assert_int_eq(artifact_name_check(b.p, b.len, &why), -1);
	ck_assert_str_eq(why, "name longer than 1024 bytes");
	buf_free(&b);
	free(c255), free(c256), free(l16), free(l17), free(n1024);
}
END_TEST

START_TEST(test_result_artifacts)
{
	struct ygg_result res;

	result_init(&res);
	ck_assert_int_eq(api->result_add_artifact(&res, "a/b.txt", 7, "one", 3), 0);
	ck_assert_int_eq(api->result_add_artifact(&res, "../x", 4, "bad", 3), -1);
	ck_assert_int_eq(api->result_add_artifact(&res, "result.md", 9, "core's", 6), -1);
	ck_assert_str_eq(api->artifact_name_problem("result.md", 9), "result.md is the core's own file");
	ck_assert_ptr_null(api->artifact_name_problem("sub/result.md", 13));
	ck_assert_int_eq(api->result_add_artifact(&res, "sub/result.md", 13, "ok", 2), 0);
	/* The same name again replaces; the name need not be NUL-terminated. */
	ck_assert_int_eq(api->result_add_artifact(&res, "a/b.txtGARBAGE", 7, "two!", 4), 0);
	ck_assert_uint_eq(res.narts, 2);
	ck_assert_str_eq(res.arts[0].name, "a/b.txt");
	ck_assert_uint_eq(res.arts[0].len, 4);
	ck_assert_str_eq(res.arts[0].data, "two!");
	ck_assert_str_eq(res.arts[1].name, "sub/result.md");
	/* Empty files are files. */
	ck_assert_int_eq(api->result_add_artifact(&res, "empty/__init__.py", 17, "", 0), 0);
	ck_assert_uint_eq(res.arts[2].len, 0);

	/* At most 1000 files; replacing one is still possible at the limit. */
	for (int i = (int)res.narts; i < 1000; i++) {
		char name[32];
		snprintf(name, sizeof name, "many/%d.txt", i);
		ck_assert_int_eq(api->result_add_artifact(&res, name, strlen(name), "x", 1), 0);
	}
	ck_assert_int_eq(api->result_add_artifact(&res, "one-too-many.txt", 16, "x", 1), -1);
	ck_assert_int_eq(api->result_add_artifact(&res, "a/b.txt", 7, "three", 5), 0);
	ck_assert_uint_eq(res.narts, 1000);

	api->result_set_text(&res, "hello world", 5);
	ck_assert_str_eq(res.text, "hello");
	ck_assert_uint_eq(res.len, 5);
	api->result_set_text(&res, "again", 5);
	ck_assert_str_eq(res.text, "again");
	api->result_fail(&res, "first");
	api->result_fail(&res, "second");
	ck_assert_str_eq(res.fail_reason, "second");
	result_clear(&res);
	ck_assert_ptr_null(res.text);
	ck_assert_uint_eq(res.narts, 0);
	result_clear(&res);
	result_clear(NULL);
}
END_TEST

/* ---------------------------------------------------------------- code blocks */

struct seen_block {
	unsigned index;
	char *lang, *path, *body, *block;
	int terminated;
};
struct seen {
	struct seen_block b[8];
	size_t n;
	size_t stop_after; /* 0: never */
};

static int
collect_block(void *arg, const struct ygg_code_block *b)
{
	struct seen *s = arg;
	struct seen_block *o = &s->b[s->n++];

	ck_assert_uint_eq(b->size, sizeof *b);
	o->index = b->index;
	o->lang = xstrndup(b->lang != NULL ? b->lang : "", b->lang_len);
	o->path = xstrndup(b->path != NULL ? b->path : "", b->path_len);
	o->body = xstrndup(b->body, b->body_len);
	o->block = xstrndup(b->block, b->block_len);
	o->terminated = b->terminated;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

static void
seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->b[i].lang);
		free(s->b[i].path);
		free(s->b[i].body);
		free(s->b[i].block);
	}
}

static const struct {
	const char *what;
	const char *text;
	size_t n;
	struct {
		const char *lang, *path, *body;
		int terminated;
	} want[3];
} block_cases[] = {
	{ "plain", "Intro\n```python\nprint(1)\n```\nafter\n", 1, { { "python", "", "print(1)\n", 1 } } },
	{ "tildes", "~~~\nx = 1\n~~~\n", 1, { { "", "", "x = 1\n", 1 } } },
	{ "file= in info", "```python file=src/x.py\npass\n```", 1, { { "python", "src/x.py", "pass\n", 1 } } },
	{ "path= and quotes", "```c path=\"my dir/a.c\" linenums\nint x;\n```\n", 1,
	    { { "c", "my dir/a.c", "int x;\n", 1 } } },
	{ "filename= alone", "```filename=Makefile\nall:\n```\n", 1, { { "", "Makefile", "all:\n", 1 } } },
	{ "lang:path", "```ts:web/app.ts\nlet a = 1;\n```\n", 1, { { "ts", "web/app.ts", "let a = 1;\n", 1 } } },
	{ "path as info", "```src/main.rs\nfn main() {}\n```\n", 1, { { "", "src/main.rs", "fn main() {}\n", 1 } } },
	{ "File: line", "File: src/a.c\n```c\nint a;\n```\n", 1, { { "c", "src/a.c", "int a;\n", 1 } } },
	{ "bold File line, one blank", "**File:** `src/b.c`\n\n```c\nint b;\n```\n", 1,
	    { { "c", "src/b.c", "int b;\n", 1 } } },
	{ "heading Filename line", "### Filename: docs/x.md\n```md\n# x\n```\n", 1,
	    { { "md", "docs/x.md", "# x\n", 1 } } },
	{ "File line too far", "File: src/a.c\n\n\n```c\nint a;\n```\n", 1, { { "c", "", "int a;\n", 1 } } },
	{ "info wins over File line", "File: a.c\n```c file=b.c\n;\n```\n", 1, { { "c", "b.c", ";\n", 1 } } },
	{ "File line used once", "File: a.c\n```c\n1\n```\n```c\n2\n```\n", 2,
	    { { "c", "a.c", "1\n", 1 }, { "c", "", "2\n", 1 } } },
	{ "nested fences", "````markdown\n```py\nx\n```\n````\n", 1,
	    { { "markdown", "", "```py\nx\n```\n", 1 } } },
	{ "longer closer", "```\na\n`````\nb\n", 1, { { "", "", "a\n", 1 } } },
	{ "other char does not close", "```\na\n~~~\nb\n```\n", 1, { { "", "", "a\n~~~\nb\n", 1 } } },
	{ "unterminated", "text\n```go\npackage main\n", 1, { { "go", "", "package main\n", 0 } } },
	{ "unterminated at fence line", "```go", 1, { { "go", "", "", 0 } } },
	{ "indented up to 3", "   ```sh\n   ls\n   ```\n", 1, { { "sh", "", "   ls\n", 1 } } },
	{ "4 spaces is not a fence", "    ```sh\nls\n```\n", 1, { { "", "", "", 0 } } },
	{ "inline backticks are not a fence", "``` a`b ```\n", 0, { { NULL, NULL, NULL, 0 } } },
	{ "two backticks are not a fence", "``\nx\n``\n", 0, { { NULL, NULL, NULL, 0 } } },
	{ "closer with trailing text does not close", "```\na\n``` x\n```\n", 1, { { "", "", "a\n``` x\n", 1 } } },
	{ "CRLF", "```py\r\nx\r\n```\r\n", 1, { { "py", "", "x\r\n", 1 } } },
	{ "three blocks", "```a\n1\n```\n```b\n2\n```\n~~~c\n3\n~~~\n", 3,
	    { { "a", "", "1\n", 1 }, { "b", "", "2\n", 1 }, { "c", "", "3\n", 1 } } },
};

START_TEST(test_code_blocks_table)
{
	struct seen s = { 0 };
	const char *text = block_cases[_i].text;

	api->text_code_blocks(text, strlen(text), collect_block, &s);
	ck_assert_msg(s.n == block_cases[_i].n, "%s: %zu blocks, want %zu", block_cases[_i].what, s.n,
	    block_cases[_i].n);
	for (size_t k = 0; k < s.n; k++) {
		ck_assert_uint_eq(s.b[k].index, k + 1);
		ck_assert_msg(strcmp(s.b[k].lang, block_cases[_i].want[k].lang) == 0, "%s: lang \"%s\"",
		    block_cases[_i].what, s.b[k].lang);
		ck_assert_msg(strcmp(s.b[k].path, block_cases[_i].want[k].path) == 0, "%s: path \"%s\"",
		    block_cases[_i].what, s.b[k].path);
		ck_assert_msg(strcmp(s.b[k].body, block_cases[_i].want[k].body) == 0, "%s: body \"%s\"",
		    block_cases[_i].what, s.b[k].body);
		ck_assert_msg(s.b[k].terminated == block_cases[_i].want[k].terminated, "%s: terminated %d",
		    block_cases[_i].what, s.b[k].terminated);
	}
	seen_free(&s);
}
END_TEST

START_TEST(test_code_blocks_span_and_stop)
{
	const char *text = "pre\n```c file=a.c\nA\n```\nmid\n```c\nB\n```\npost";
	struct seen s = { .stop_after = 1 };

	api->text_code_blocks(text, strlen(text), collect_block, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.b[0].block, "```c file=a.c\nA\n```\n");
	seen_free(&s);

	memset(&s, 0, sizeof s);
	api->text_code_blocks(text, strlen(text), collect_block, &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.b[1].block, "```c\nB\n```\n");
	seen_free(&s);

	/* Only len bytes are read. */
	memset(&s, 0, sizeof s);
	api->text_code_blocks(text, 12, collect_block, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.b[0].lang, "c");
	ck_assert_str_eq(s.b[0].body, "");
	ck_assert_int_eq(s.b[0].terminated, 0);
	seen_free(&s);
}
END_TEST

/* ---------------------------------------------------------------- think */

static const struct {
	const char *text;
	const char *thoughts; /* NULL: none */
	const char *answer;
} think_cases[] = {
	{ "plain answer", NULL, "plain answer" },
	{ "  \n padded \n\n", NULL, "padded" },
	{ "<think>a</think>answer", "a", "answer" },
	{ "<think>\nstep 1\nstep 2\n</think>\n\nThe answer is 42.", "step 1\nstep 2", "The answer is 42." },
	{ "<think>a</think>x <think>b</think>y", "a\n\nb", "x y" },
	{ "before <think>never closed", "never closed", "before" },
	{ "reasoning without an opening tag</think>\n\nanswer", "reasoning without an opening tag", "answer" },
	{ "<THINK>loud</Think>quiet", "loud", "quiet" },
	{ "<think>\n\n</think>\n\nhi", NULL, "hi" },
	{ "<think>only thoughts</think>", "only thoughts", "" },
	{ "", NULL, "" },
	{ "a </think> b <think>c</think> d", "a\n\nc", "b  d" },
	{ "x <thinking>not a think tag</thinking>", NULL, "x <thinking>not a think tag</thinking>" },
};

START_TEST(test_split_think_table)
{
	char *thoughts = (char *)"unset", *answer = NULL;
	const char *text = think_cases[_i].text;

	ck_assert_int_eq(api->text_split_think(text, strlen(text), &thoughts, &answer), 0);
	if (think_cases[_i].thoughts == NULL)
		ck_assert_msg(thoughts == NULL, "\"%s\": thoughts \"%s\"", text, thoughts);
	else
		ck_assert_str_eq(thoughts, think_cases[_i].thoughts);
	ck_assert_str_eq(answer, think_cases[_i].answer);
	api->free(thoughts);
	api->free(answer);
}
END_TEST

/* ---------------------------------------------------------------- text_cut */

static const struct {
	const char *what;
	const char *text;
	size_t max;
	const char *want; /* the prefix kept */
} cut_cases[] = {
	{ "short enough", "abc", 3, "abc" },
	{ "zero", "abc", 0, "" },
	{ "hard cut", "abcdefghij", 4, "abcd" },
	{ "UTF-8 boundary", "\xc3\xa9\xc3\xa9\xc3\xa9", 5, "\xc3\xa9\xc3\xa9" },
	{ "UTF-8 4-byte", "ab\xf0\x9f\x98\x80" "cd", 5, "ab" },
	{ "paragraph in last quarter", "aaaaaaaaaaaaaaa.\n\nbbb ccc", 20, "aaaaaaaaaaaaaaa." },
	{ "paragraph too early", "aaaa\n\nbbbbbbbbbbbbbbbbbbbbbbbbbb", 20, "aaaa\n\nbbbbbbbbbbbbbb" },
	{ "sentence", "One two three four. Five six seven", 22, "One two three four." },
	{ "question", "Is it done yet? Not quite, no", 18, "Is it done yet?" },
	{ "sentence beats space", "First part is here. Second x", 23, "First part is here." },
	{ "space", "alpha beta gamma delta epsilon", 20, "alpha beta gamma" },
	{ "number is not a sentence end", "abcdefghijklmn 3.14159 rest", 20, "abcdefghijklmn 3.141" },
};

START_TEST(test_text_cut_table)
{
	const char *text = cut_cases[_i].text;
	size_t n = api->text_cut(text, strlen(text), cut_cases[_i].max);

	ck_assert_msg(n == strlen(cut_cases[_i].want) && strncmp(text, cut_cases[_i].want, n) == 0,
	    "%s: kept \"%.*s\", want \"%s\"", cut_cases[_i].what, (int)n, text, cut_cases[_i].want);
	ck_assert_uint_le(n, cut_cases[_i].max);
}
END_TEST

START_TEST(test_text_cut_never_splits_utf8)
{
	/* Every max over a text of mixed-width characters lands on a boundary. */
	const char *text = "a\xc3\xa9 \xe2\x82\xac. \xf0\x9f\x98\x80 z\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 end";
	size_t len = strlen(text);

	for (size_t max = 0; max <= len; max++) {
		size_t n = api->text_cut(text, len, max);
		ck_assert_uint_le(n, max);
		ck_assert_msg(n == len || ((unsigned char)text[n] & 0xc0) != 0x80, "max %zu cut inside a character", max);
	}
}
END_TEST

/* ---------------------------------------------------------------- tasks */

static struct issue *
issue_make(const char *id, const char *title, const char *desc, const char *design, const char *ac, const char *notes)
{
	struct issue *is = xcalloc(1, sizeof *is);

	is->id = id ? xstrdup(id) : NULL;
	is->title = title ? xstrdup(title) : NULL;
	is->description = desc ? xstrdup(desc) : NULL;
	is->design = design ? xstrdup(design) : NULL;
	is->acceptance_criteria = ac ? xstrdup(ac) : NULL;
	is->notes = notes ? xstrdup(notes) : NULL;
	is->status = xstrdup("open");
	is->issue_type = xstrdup("feature");
	is->priority = 1;
	return is;
}

static void
issue_drop(struct issue *is)
{
	free(is->id), free(is->title), free(is->description), free(is->design);
	free(is->acceptance_criteria), free(is->notes), free(is->status), free(is->issue_type);
	free(is);
}

static const struct {
	const char *id, *title, *desc, *design, *ac, *notes;
	const char *want;
} prompt_cases[] = {
	{ "bd-1", "Write a parser", "Parse the thing.\nCarefully.", NULL, NULL, NULL,
	    "Task: bd-1\nTitle: Write a parser\n\nParse the thing.\nCarefully." },
	{ "bd-2", "All parts", "Desc", "Use a table", "It works", "See bd-1",
	    "Task: bd-2\nTitle: All parts\n\nDesc\n\nDesign:\nUse a table\n\nAcceptance criteria:\nIt works"
	    "\n\nNotes:\nSee bd-1" },
	{ "bd-3", "No description", NULL, NULL, "Done when done", NULL,
	    "Task: bd-3\nTitle: No description\n\nAcceptance criteria:\nDone when done" },
	{ "bd-4", "Empty strings", "", "", "", "", "Task: bd-4\nTitle: Empty strings" },
	{ "proj-a1b2.3", "Verbatim  spacing ", "  indented\n\n\ttabs  \n", NULL, NULL, NULL,
	    "Task: proj-a1b2.3\nTitle: Verbatim  spacing \n\n  indented\n\n\ttabs  \n" },
};

START_TEST(test_task_prompt_table)
{
	struct issue *is = issue_make(prompt_cases[_i].id, prompt_cases[_i].title, prompt_cases[_i].desc,
	    prompt_cases[_i].design, prompt_cases[_i].ac, prompt_cases[_i].notes);
	struct ygg_task t = { .issue = is, .plugin_name = "x" };
	char *p = api->task_prompt(&t);
	char *q = task_prompt(&t);

	ck_assert_str_eq(p, prompt_cases[_i].want);
	ck_assert_str_eq(q, p);
	api->free(p);
	free(q);
	issue_drop(is);
}
END_TEST

START_TEST(test_task_get_and_config)
{
	struct issue *is = issue_make("bd-7", "T", "D", NULL, NULL, "N");
	char *kv[] = { "hosts", "a, b", "system_prompt", "from kv", "max_words", "50", NULL };
	struct handler_conf h = { .type = "summarize", .kv = kv };
	struct host_conf host = { .name = "skadi", .model = "qwen2.5-coder:7b" };
	struct ygg_task t = { .issue = is, .handler = &h, .host = &host, .type = "summarize",
		.plugin_name = "summarize", .attempt = 2 };
	static const struct {
		const char *field, *want;
	} fields[] = {
		{ "id", "bd-7" }, { "title", "T" }, { "description", "D" }, { "design", NULL },
		{ "acceptance_criteria", NULL }, { "notes", "N" }, { "issue_type", "feature" },
		{ "type", "summarize" }, { "handler", "summarize" }, { "plugin", "summarize" },
		{ "host", "skadi" }, { "model", "qwen2.5-coder:7b" }, { "no_such_field", NULL },
	};

	is->priority = 0;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *v = api->task_get(&t, fields[i].field);
		if (fields[i].want == NULL)
			ck_assert_msg(v == NULL, "%s: \"%s\"", fields[i].field, v);
		else
			ck_assert_msg(v != NULL && strcmp(v, fields[i].want) == 0, "%s: \"%s\"", fields[i].field,
			    v ? v : "(null)");
	}
	/* Numbers: both stay valid together for the callback. */
	const char *prio = api->task_get(&t, "priority");
	const char *att = api->task_get(&t, "attempt");
	ck_assert_str_eq(prio, "0");
	ck_assert_str_eq(att, "2");

	ck_assert_str_eq(api->task_config(&t, "max_words"), "50");
	ck_assert_str_eq(api->task_config(&t, "system_prompt"), "from kv");
	ck_assert_ptr_null(api->task_config(&t, "max_chars"));
	/* system_prompt parsed into the struct but absent from kv still counts. */
	h.kv = NULL;
	h.system_prompt = "from field";
	ck_assert_str_eq(api->task_config(&t, "system_prompt"), "from field");
	t.handler = NULL;
	ck_assert_ptr_null(api->task_config(&t, "system_prompt"));
	ck_assert_ptr_null(api->task_get(&t, "handler"));
	t.host = NULL;
	ck_assert_ptr_null(api->task_get(&t, "model"));
	issue_drop(is);
}
END_TEST

/* ---------------------------------------------------------------- requests */

START_TEST(test_request_functions)
{
	struct ygg_request req;
	static const struct {
		const char *name, *value;
		int rc;
	} opts[] = {
		{ "temperature", "0.2", 0 }, { "max_tokens", "4096", 0 }, { "stop", "[\"\\n\\n\"]", 0 },
		{ "seed", " 7 ", 0 }, { "custom", "{\"a\": [1, true, null]}", 0 }, { "temperature", "0.7", 0 },
		{ "bad", "abc", -1 }, { "bad", "1 2", -1 }, { "bad", "[1", -1 }, { "bad", "", -1 },
		{ "", "1", -1 }, { "bad", "{}x", -1 }, { "bad", "nan", -1 },
	};

	request_init(&req);
	ck_assert_int_eq(api->request_set_system(&req, "one"), 0);
	ck_assert_int_eq(api->request_set_system(&req, "two"), 0);
	ck_assert_int_eq(api->request_set_system(&req, NULL), -1);
	ck_assert_str_eq(req.system, "two");
	ck_assert_int_eq(api->request_add_message(&req, "user", "hi"), 0);
	ck_assert_int_eq(api->request_add_message(&req, "assistant", "hello"), 0);
	ck_assert_int_eq(api->request_add_message(&req, "tool", "x"), -1);
	ck_assert_int_eq(api->request_add_message(&req, "user", NULL), -1);
	ck_assert_uint_eq(req.nmsgs, 2);
	ck_assert_str_eq(req.msgs[1].role, "assistant");
	ck_assert_str_eq(req.msgs[1].content, "hello");
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		ck_assert_msg(api->request_set_option(&req, opts[i].name, opts[i].value) == opts[i].rc, "%s = %s",
		    opts[i].name, opts[i].value);
	/* temperature was replaced in place, not added twice */
	ck_assert_uint_eq(req.nopts, 5);
	ck_assert_str_eq(req.opt_names[0], "temperature");
	ck_assert_str_eq(req.opt_values[0], "0.7");
	ck_assert_str_eq(req.opt_names[2], "stop");
	request_clear(&req);
}
END_TEST

START_TEST(test_request_standard)
{
	struct issue *is = issue_make("bd-9", "Title", "Body", NULL, NULL, NULL);
	char *kv[] = { "system_prompt", "Operator's prompt", NULL };
	struct handler_conf h = { .type = "general" };
	struct ygg_task t = { .issue = is, .handler = &h, .plugin_name = "general" };
	struct ygg_request req;

	request_init(&req);
	ck_assert_int_eq(api->request_standard(&t, &req, "Default prompt"), 0);
	ck_assert_str_eq(req.system, "Default prompt");
	ck_assert_uint_eq(req.nmsgs, 1);
	ck_assert_str_eq(req.msgs[0].role, "user");
	ck_assert_str_eq(req.msgs[0].content, "Task: bd-9\nTitle: Title\n\nBody");
	request_clear(&req);

	h.kv = kv;
	request_init(&req);
	ck_assert_int_eq(api->request_standard(&t, &req, "Default prompt"), 0);
	ck_assert_str_eq(req.system, "Operator's prompt");
	request_clear(&req);

	h.kv = NULL;
	request_init(&req);
	ck_assert_int_eq(api->request_standard(&t, &req, NULL), 0);
	ck_assert_ptr_null(req.system);
	ck_assert_uint_eq(req.nmsgs, 1);
	request_clear(&req);
	issue_drop(is);
}
END_TEST

/* ---------------------------------------------------------------- replies */

static const struct {
	const char *content;
	unsigned flags;
	const char *answer; /* NULL: fails */
	const char *fail;
	const char *thinking; /* artifact thinking.md, NULL none */
} answer_cases[] = {
	{ "Hello.", 0, "Hello.", NULL, NULL },
	{ "\n  Hello.  \n", 0, "Hello.", NULL, NULL },
	{ "", 0, NULL, "the model returned an empty reply", NULL },
	{ " \n\t ", 0, NULL, "the model returned an empty reply", NULL },
	{ "<think>hmm</think>", 0, NULL, "the model returned only <think> reasoning and no answer", NULL },
	{ "<think>hmm</think>Yes", 0, "Yes", NULL, NULL },
	{ "<think>hmm</think>Yes", YGG_ANSWER_KEEP_THOUGHTS, "Yes", NULL, "hmm\n" },
	{ "No thoughts", YGG_ANSWER_KEEP_THOUGHTS, "No thoughts", NULL, NULL },
};

START_TEST(test_reply_answer_table)
{
	struct ygg_reply reply;
	struct ygg_result res;
	size_t len = 99;
	char *a;

	memset(&reply, 0, sizeof reply);
	reply.content = xstrdup(answer_cases[_i].content);
	reply.len = strlen(reply.content);
	result_init(&res);
	a = api->reply_answer(NULL, &reply, &res, answer_cases[_i].flags, &len);
	if (answer_cases[_i].answer == NULL) {
		ck_assert_ptr_null(a);
		ck_assert_str_eq(res.fail_reason, answer_cases[_i].fail);
	} else {
		ck_assert_str_eq(a, answer_cases[_i].answer);
		ck_assert_uint_eq(len, strlen(a));
		ck_assert_ptr_null(res.fail_reason);
	}
	if (answer_cases[_i].thinking != NULL) {
		ck_assert_uint_eq(res.narts, 1);
		ck_assert_str_eq(res.arts[0].name, "thinking.md");
		ck_assert_str_eq(res.arts[0].data, answer_cases[_i].thinking);
	} else {
		ck_assert_uint_eq(res.narts, 0);
	}
	api->free(a);
	result_clear(&res);
	free(reply.content);
}
END_TEST

START_TEST(test_reply_text_null_content)
{
	struct ygg_reply reply;
	size_t len = 5;

	memset(&reply, 0, sizeof reply);
	ck_assert_str_eq(api->reply_text(&reply, &len), "");
	ck_assert_uint_eq(len, 0);
}
END_TEST

/* ---------------------------------------------------------------- log */

static struct buf logged;

static void
log_capture(enum log_level level, const char *line, void *arg)
{
	(void)arg;
	buf_printf(&logged, "%d|%s\n", (int)level, line);
}

START_TEST(test_log_lines)
{
	struct issue *is = issue_make("bd-5", "T", NULL, NULL, NULL, NULL);
	struct ygg_task t = { .issue = is, .plugin_name = "reasoning" };

	buf_init(&logged);
	log_init("yggd", 0);
	log_set_hook(log_capture, NULL);
	api->log(&t, YGG_LOG_WARN, "two\nlines %d", 2);
	hostapi_set_current("good");
	api->log(NULL, YGG_LOG_INFO, "from init");
	hostapi_set_current(NULL);
	api->log(NULL, YGG_LOG_ERROR, "nobody");
	api->log(&t, 42, "debug");
	log_set_hook(NULL, NULL);
	ck_assert_msg(strstr(logged.p, "1|yggd: warn: plugin=reasoning task=bd-5 two lines 2\n") != NULL, "%s", logged.p);
	ck_assert_msg(strstr(logged.p, "2|yggd: info: plugin=good from init\n") != NULL, "%s", logged.p);
	ck_assert_msg(strstr(logged.p, "0|yggd: error: plugin=? nobody\n") != NULL, "%s", logged.p);
	ck_assert_msg(strstr(logged.p, "3|yggd: debug: plugin=reasoning task=bd-5 debug\n") != NULL, "%s", logged.p);
	buf_free(&logged);
	issue_drop(is);
}
END_TEST

START_TEST(test_table_shape)
{
	ck_assert_uint_eq(api->size, sizeof(struct ygg_host_api));
	ck_assert_uint_eq(api->abi_version, YGG_PLUGIN_ABI_VERSION);
	ck_assert(YGG_HOST_API_HAS(api, artifact_name_problem));
	/* Every slot is filled. */
	const char *p = (const char *)api + offsetof(struct ygg_host_api, log);
	for (; p < (const char *)api + sizeof *api; p += sizeof(void (*)(void))) {
		void (*fn)(void);
		memcpy(&fn, p, sizeof fn);
		ck_assert_ptr_nonnull(fn);
	}
	api->free(NULL);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *
hostapi_suite(void)
{
	Suite *s = suite_create("hostapi");
	TCase *tc = tcase_create("hostapi");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_artifact_name_table, 0, N(name_cases));
	tcase_add_test(tc, test_artifact_name_limits);
	tcase_add_test(tc, test_result_artifacts);
	tcase_add_loop_test(tc, test_code_blocks_table, 0, N(block_cases));
	tcase_add_test(tc, test_code_blocks_span_and_stop);
	tcase_add_loop_test(tc, test_split_think_table, 0, N(think_cases));
	tcase_add_loop_test(tc, test_text_cut_table, 0, N(cut_cases));
	tcase_add_test(tc, test_text_cut_never_splits_utf8);
	tcase_add_loop_test(tc, test_task_prompt_table, 0, N(prompt_cases));
	tcase_add_test(tc, test_task_get_and_config);
	tcase_add_test(tc, test_request_functions);
	tcase_add_test(tc, test_request_standard);
	tcase_add_loop_test(tc, test_reply_answer_table, 0, N(answer_cases));
	tcase_add_test(tc, test_reply_text_null_content);
	tcase_add_test(tc, test_log_lines);
	tcase_add_test(tc, test_table_shape);
	suite_add_tcase(s, tc);
	return s;
}
