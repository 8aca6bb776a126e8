/*
 * check_llm.c - the reply parsers (both wire formats, fed whole, one byte at a
 * time and in odd splits: every way must give the same reply), the request
 * bodies each API receives, the failure classification with the words a task
 * ends up carrying, and the probe answers.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ygg.h"

/* ---------------------------------------------------------------- stream parsers */

#define NONE_I64 INT64_MIN

struct stream_case {
	const char *name;
	enum api_kind api;
	size_t max_bytes;
	const char *input;
	int rc;                 /* feed + finish: 0 good, -1 bad */
	const char *content;    /* exact; NULL = not checked */
	enum fail_class fail;
	const char *error;      /* exact; NULL = no error expected */
	int64_t prompt_tokens;  /* NONE_I64 = not checked */
	int64_t completion_tokens;
	const char *model;
	const char *finish_reason;
	double gen_duration; /* -2 = not checked */
};

#define OL_DONE(p, e) \
	"{\"model\":\"llama3\",\"created_at\":\"2024-05-01T10:00:00Z\",\"message\":{\"role\":\"assistant\"," \
	"\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,\"total_duration\":900000000," \
	"\"prompt_eval_count\":" #p ",\"eval_count\":" #e ",\"eval_duration\":500000000}"
#define OL(c) \
	"{\"model\":\"llama3\",\"created_at\":\"2024-05-01T10:00:00Z\",\"message\":{\"role\":\"assistant\"," \
	"\"content\":\"" c "\"},\"done\":false}"
#define OA(delta) \
	"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\"," \
	"\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":null}]}\n\n"
#define OA_FIN \
	"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\"," \
	"\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
#define OA_USAGE(p, c) \
	"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[]," \
	"\"usage\":{\"prompt_tokens\":" #p ",\"completion_tokens\":" #c ",\"total_tokens\":0}}\n\n"

static const struct stream_case stream_cases[] = {
	/* Ollama NDJSON */
	{ "ollama: a whole stream", API_OLLAMA, 0,
	    OL("Hello") "\n" OL(", wor") "\n" OL("ld!") "\n" OL_DONE(12, 3) "\n", 0, "Hello, world!", FAIL_NONE, NULL,
	    12, 3, "llama3", "stop", 0.5 },
	{ "ollama: CRLF, blank lines, no final newline", API_OLLAMA, 0,
	    "\r\n" OL("a") "\r\n\r\n" OL("b") "\r\n" OL_DONE(1, 2), 0, "ab", FAIL_NONE, NULL, 1, 2, "llama3", "stop",
	    0.5 },
	{ "ollama: escapes and UTF-8", API_OLLAMA, 0,
	    OL("caf\\u00e9 \\ud83d\\ude00 \\\"q\\\"\\n\\ttab") "\n" OL_DONE(1, 1) "\n", 0,
	    "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\"\n\ttab", FAIL_NONE, NULL, NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "ollama: bytes after done are ignored", API_OLLAMA, 0, OL("x") "\n" OL_DONE(1, 1) "\nthis is not json\n", 0,
	    "x", FAIL_NONE, NULL, 1, 1, NULL, NULL, -2 },
	{ "ollama: thinking kept as a think block", API_OLLAMA, 0,
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"hmm\"},\"done\":false}\n"
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\", ok\"},\"done\":false}\n"
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"42\"},\"done\":false}\n" OL_DONE(1, 3) "\n",
	    0, "<think>hmm, ok</think>\n42", FAIL_NONE, NULL, NONE_I64, 3, NULL, NULL, -2 },
	{ "ollama: not streamed", API_OLLAMA, 0,
	    "{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"All of it.\"},\"done_reason\":"
	    "\"stop\",\"done\":true,\"prompt_eval_count\":5,\"eval_count\":4,\"eval_duration\":2000000000}",
	    0, "All of it.", FAIL_NONE, NULL, 5, 4, "llama3", "stop", 2.0 },
	{ "ollama: not streamed, pretty-printed", API_OLLAMA, 0,
	    "{\n  \"model\": \"llama3\",\n  \"message\": {\n    \"role\": \"assistant\",\n    \"content\": \"Pretty\"\n"
	    "  },\n  \"done\": true,\n  \"eval_count\": 1\n}\n",
	    0, "Pretty", FAIL_NONE, NULL, NONE_I64, 1, "llama3", NULL, -2 },
	{ "ollama: an error line mid-stream", API_OLLAMA, 0,
	    OL("par") "\n{\"error\":\"an error was encountered while running the model: CUDA error\"}\n" OL("tial") "\n",
	    -1, NULL, FAIL_TRANSIENT,
	    "the server reported an error: an error was encountered while running the model: CUDA error", NONE_I64,
	    NONE_I64, NULL, NULL, -2 },
	{ "ollama: truncated (no done)", API_OLLAMA, 0, OL("half") "\n" OL(" a reply") "\n", -1, "half a reply",
	    FAIL_TRANSIENT, "the reply ended before the server said it was done (truncated)", NONE_I64, NONE_I64, NULL,
	    NULL, -2 },
	{ "ollama: truncated mid-object", API_OLLAMA, 0, OL("x") "\n{\"message\":{\"content\":\"y", -1, NULL,
	    FAIL_TRANSIENT, "the reply ended before the server said it was done (truncated)", NONE_I64, NONE_I64, NULL,
	    NULL, -2 },
	{ "ollama: a line that is not JSON", API_OLLAMA, 0, OL("x") "\n<html><body>Bad Gateway</body></html>\n", -1,
	    NULL, FAIL_TRANSIENT, "unparseable reply from the server: <html><body>Bad Gateway</body></html>", NONE_I64,
	    NONE_I64, NULL, NULL, -2 },
	{ "ollama: a JSON line that is not an object", API_OLLAMA, 0, "[1,2,3]\n", -1, NULL, FAIL_TRANSIENT,
	    "unparseable reply from the server: [1,2,3]", NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "ollama: garbage is quoted sanitised and cut at 80 bytes", API_OLLAMA, 0,
	    "\x01\x02 tab\there \xff\xfe caf\xc3\xa9 0123456789012345678901234567890123456789012345678901234567890123456789"
	    "\n",
	    -1, NULL, FAIL_TRANSIENT,
	    "unparseable reply from the server: ?? tab here ?? caf\xc3\xa9 "
	    "01234567890123456789012345678901234567890123456789012345678...",
	    NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "ollama: content past max_bytes", API_OLLAMA, 10, OL("0123456") "\n" OL("789ab") "\n" OL_DONE(1, 2) "\n",
	    -1, "0123456", FAIL_PERMANENT, "reply larger than 10 bytes (max_response_bytes)", NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "ollama: content exactly max_bytes", API_OLLAMA, 10, OL("0123456") "\n" OL("789") "\n" OL_DONE(1, 2) "\n",
	    0, "0123456789", FAIL_NONE, NULL, NONE_I64, 2, NULL, NULL, -2 },
	{ "ollama: nothing at all", API_OLLAMA, 0, "", -1, "", FAIL_TRANSIENT,
	    "the server closed the reply without sending anything", NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "ollama: done with empty content", API_OLLAMA, 0, OL_DONE(3, 0) "\n", 0, "", FAIL_NONE, NULL, 3, 0, NULL,
	    NULL, -2 },

	/* OpenAI server-sent events */
	{ "openai: a whole stream with usage", API_OPENAI, 0,
	    OA("{\"role\":\"assistant\",\"content\":\"\"}") OA("{\"content\":\"Hello\"}") OA("{\"content\":\", world\"}")
	        OA_FIN OA_USAGE(9, 2) "data: [DONE]\n\n",
	    0, "Hello, world", FAIL_NONE, NULL, 9, 2, "gpt-x", "stop", -1 },
	{ "openai: comments, event/id fields, CRLF, no space after data:", API_OPENAI, 0,
	    ": keep-alive\r\n\r\nevent: message\r\nid: 7\r\ndata:{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n"
	    "retry: 1000\r\n" OA("{\"content\":\"b\"}") "data:[DONE]\r\n\r\n",
	    0, "ab", FAIL_NONE, NULL, NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "openai: one event's JSON over two data lines", API_OPENAI, 0,
	    "data: {\"choices\":[{\"delta\":\ndata: {\"content\":\"joined\"}}]}\n\ndata: [DONE]\n", 0, "joined", FAIL_NONE,
	    NULL, NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "openai: data lines with no blank line between", API_OPENAI, 0,
	    "data: {\"choices\":[{\"delta\":{\"content\":\"one \"}}]}\ndata: {\"choices\":[{\"delta\":{\"content\":"
	    "\"two\"}}]}\ndata: [DONE]",
	    0, "one two", FAIL_NONE, NULL, NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "openai: reasoning_content kept as a think block", API_OPENAI, 0,
	    OA("{\"reasoning_content\":\"let me see\"}") OA("{\"content\":\"yes\"}") OA_FIN "data: [DONE]\n\n", 0,
	    "<think>let me see</think>\nyes", FAIL_NONE, NULL, NONE_I64, NONE_I64, NULL, "stop", -2 },
	{ "openai: usage null chunks and llama.cpp timings", API_OPENAI, 0,
	    "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":null}\n\n"
	    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":3,"
	    "\"completion_tokens\":1},\"timings\":{\"predicted_ms\":250.0}}\n\ndata: [DONE]\n\n",
	    0, "x", FAIL_NONE, NULL, 3, 1, NULL, "length", 0.25 },
	{ "openai: truncated (no [DONE])", API_OPENAI, 0, OA("{\"content\":\"cut \"}") OA("{\"content\":\"off\"}"), -1,
	    "cut off", FAIL_TRANSIENT, "the reply ended before the server said it was done (truncated)", NONE_I64,
	    NONE_I64, NULL, NULL, -2 },
	{ "openai: an error event mid-stream", API_OPENAI, 0,
	    OA("{\"content\":\"x\"}") "data: {\"error\":{\"message\":\"The server is overloaded\",\"type\":"
	                              "\"server_error\"}}\n\n" "data: [DONE]\n\n",
	    -1, NULL, FAIL_TRANSIENT, "the server reported an error: The server is overloaded", NONE_I64, NONE_I64, NULL,
	    NULL, -2 },
	{ "openai: vLLM-style error object", API_OPENAI, 0,
	    "data: {\"object\":\"error\",\"message\":\"out of KV cache\",\"type\":\"InternalServerError\",\"code\":500}"
	    "\n\n",
	    -1, NULL, FAIL_TRANSIENT, "the server reported an error: out of KV cache", NONE_I64, NONE_I64, NULL, NULL,
	    -2 },
	{ "openai: a bare JSON error line in the stream", API_OPENAI, 0,
	    OA("{\"content\":\"x\"}") "{\"error\":\"upstream timed out\"}\n", -1, NULL, FAIL_TRANSIENT,
	    "the server reported an error: upstream timed out", NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "openai: an HTML page", API_OPENAI, 0, "<html>\n<head><title>502 Bad Gateway</title></head>\n", -1, NULL,
	    FAIL_TRANSIENT, "unparseable reply from the server: <html>", NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "openai: data that is not JSON", API_OPENAI, 0, "data: hello there\n\n", -1, NULL, FAIL_TRANSIENT,
	    "unparseable reply from the server: hello there", NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "openai: content past max_bytes", API_OPENAI, 8, OA("{\"content\":\"12345\"}") OA("{\"content\":\"6789\"}")
	        "data: [DONE]\n\n",
	    -1, "12345", FAIL_PERMANENT, "reply larger than 8 bytes (max_response_bytes)", NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "openai: not streamed, pretty-printed", API_OPENAI, 0,
	    "{\n  \"id\": \"chatcmpl-1\",\n  \"object\": \"chat.completion\",\n  \"model\": \"gpt-x\",\n  \"choices\": [\n"
	    "    {\n      \"index\": 0,\n      \"message\": {\n        \"role\": \"assistant\",\n        \"content\": "
	    "\"Whole answer.\"\n      },\n      \"finish_reason\": \"stop\"\n    }\n  ],\n  \"usage\": {\n    "
	    "\"prompt_tokens\": 11,\n    \"completion_tokens\": 3,\n    \"total_tokens\": 14\n  }\n}\n",
	    0, "Whole answer.", FAIL_NONE, NULL, 11, 3, "gpt-x", "stop", -2 },
	{ "openai: an error body", API_OPENAI, 0,
	    "{\"error\":{\"message\":\"Invalid model\",\"type\":\"invalid_request_error\"}}", -1, NULL, FAIL_TRANSIENT,
	    "the server reported an error: Invalid model", NONE_I64, NONE_I64, NULL, NULL, -2 },
	{ "openai: nothing but a comment", API_OPENAI, 0, ": ping\n\n", -1, "", FAIL_TRANSIENT,
	    "the reply ended before the server said it was done (truncated)", NONE_I64, NONE_I64, NULL, NULL, -2 },
};

/* What a run of the parser produced, for comparing one way of feeding with another. */
struct outcome {
	int rc;
	char *content;
	size_t len;
	enum fail_class fail;
	char *error;
	int64_t prompt_tokens, completion_tokens;
	bool done;
	char *model;
	char *finish_reason;
	double gen_duration;
	double ttft;
};

static void
outcome_free(struct outcome *o)
{
	free(o->content);
	free(o->error);
	free(o->model);
	free(o->finish_reason);
}

/* Feed input in pieces of the sizes given (cycled); sizes NULL = all at once. */
static struct outcome
run_stream(const struct stream_case *c, const size_t *sizes, size_t nsizes)
{
	struct llm_stream *s = llm_stream_new(c->api, c->max_bytes);
	size_t len = strlen(c->input), off = 0, k = 0;
	int rc = 0;
	struct outcome o;

	while (off < len && rc == 0) {
		size_t n = sizes == NULL ? len : sizes[k++ % nsizes];
		if (n > len - off)
			n = len - off;
		rc = llm_stream_feed(s, c->input + off, n);
		off += n;
	}
	if (rc == 0)
		rc = llm_stream_finish(s);
	struct ygg_reply *r = llm_stream_reply(s);
	o.rc = rc;
	o.content = xstrndup(r->content, r->len);
	o.len = r->len;
	o.fail = r->fail;
	o.error = r->error != NULL ? xstrdup(r->error) : NULL;
	o.prompt_tokens = r->prompt_tokens;
	o.completion_tokens = r->completion_tokens;
	o.done = r->done;
	o.model = r->model != NULL ? xstrdup(r->model) : NULL;
	o.finish_reason = r->finish_reason != NULL ? xstrdup(r->finish_reason) : NULL;
	o.gen_duration = r->gen_duration;
	o.ttft = r->ttft;
	ck_assert_uint_eq(llm_stream_content_len(s), r->len);
	llm_stream_free(s);
	return o;
}

static void
check_expected(const struct stream_case *c, const struct outcome *o, const char *how)
{
	ck_assert_msg(o->rc == c->rc, "%s (%s): rc %d, want %d (error: %s)", c->name, how, o->rc, c->rc,
	    o->error != NULL ? o->error : "none");
	ck_assert_msg(o->fail == c->fail, "%s (%s): fail %s, want %s", c->name, how, fail_class_name(o->fail),
	    fail_class_name(c->fail));
	if (c->error == NULL)
		ck_assert_msg(o->error == NULL, "%s (%s): unexpected error %s", c->name, how, o->error);
	else
		ck_assert_msg(o->error != NULL && strcmp(o->error, c->error) == 0, "%s (%s): error\n  \"%s\"\nwant\n  \"%s\"",
		    c->name, how, o->error != NULL ? o->error : "(none)", c->error);
	if (c->content != NULL)
		ck_assert_msg(o->len == strlen(c->content) && memcmp(o->content, c->content, o->len) == 0,
		    "%s (%s): content \"%s\", want \"%s\"", c->name, how, o->content, c->content);
	ck_assert_msg(o->done == (c->rc == 0), "%s (%s): done %d", c->name, how, o->done);
	if (c->prompt_tokens != NONE_I64)
		ck_assert_msg(o->prompt_tokens == c->prompt_tokens, "%s (%s): prompt_tokens %lld", c->name, how,
		    (long long)o->prompt_tokens);
	if (c->completion_tokens != NONE_I64)
		ck_assert_msg(o->completion_tokens == c->completion_tokens, "%s (%s): completion_tokens %lld", c->name, how,
		    (long long)o->completion_tokens);
	if (c->model != NULL)
		ck_assert_msg(o->model != NULL && strcmp(o->model, c->model) == 0, "%s (%s): model %s", c->name, how,
		    o->model);
	if (c->finish_reason != NULL)
		ck_assert_msg(o->finish_reason != NULL && strcmp(o->finish_reason, c->finish_reason) == 0,
		    "%s (%s): finish_reason %s", c->name, how, o->finish_reason);
	if (c->gen_duration > -2)
		ck_assert_msg(o->gen_duration > c->gen_duration - 1e-9 && o->gen_duration < c->gen_duration + 1e-9,
		    "%s (%s): gen_duration %g, want %g", c->name, how, o->gen_duration, c->gen_duration);
	/* first content time is noted exactly when there is content */
	if (o->len > 0)
		ck_assert_msg(o->ttft >= 0, "%s (%s): no ttft", c->name, how);
	else
		ck_assert_msg(o->ttft < 0, "%s (%s): ttft %g without content", c->name, how, o->ttft);
}

static void
check_same(const struct stream_case *c, const struct outcome *a, const struct outcome *b, const char *how)
{
	ck_assert_msg(a->rc == b->rc && a->fail == b->fail && a->done == b->done, "%s: %s differs from whole", c->name,
	    how);
	ck_assert_msg(a->len == b->len && memcmp(a->content, b->content, a->len) == 0, "%s: %s content differs",
	    c->name, how);
	ck_assert_msg((a->error == NULL) == (b->error == NULL) && (a->error == NULL || strcmp(a->error, b->error) == 0),
	    "%s: %s error differs: %s / %s", c->name, how, a->error, b->error);
	ck_assert_msg(a->prompt_tokens == b->prompt_tokens && a->completion_tokens == b->completion_tokens,
	    "%s: %s tokens differ", c->name, how);
}

START_TEST(test_stream_table)
{
	const struct stream_case *c = &stream_cases[_i];
	static const size_t one[] = { 1 }, two[] = { 2 }, odd[] = { 3, 7, 1, 13, 2, 64 };
	struct outcome whole = run_stream(c, NULL, 0);

	check_expected(c, &whole, "whole");
	struct {
		const char *how;
		const size_t *sizes;
		size_t n;
	} ways[] = { { "byte at a time", one, 1 }, { "two bytes", two, 1 }, { "odd splits", odd, 6 } };
	for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
		struct outcome o = run_stream(c, ways[w].sizes, ways[w].n);
		check_expected(c, &o, ways[w].how);
		check_same(c, &o, &whole, ways[w].how);
		outcome_free(&o);
	}
	/* and a few pseudo-random splittings */
	unsigned seed = 12345u + (unsigned)_i;
	for (int round = 0; round < 20; round++) {
		size_t sizes[16];
		for (size_t k = 0; k < 16; k++) {
			seed = seed * 1103515245u + 12345u;
			sizes[k] = 1 + (seed >> 16) % 40;
		}
		struct outcome o = run_stream(c, sizes, 16);
		check_same(c, &o, &whole, "random splits");
		outcome_free(&o);
	}
	outcome_free(&whole);
}
END_TEST

/* An endless stream stops at the cap however it arrives, and feeding after failure stays failed. */
START_TEST(test_stream_endless)
{
	enum api_kind apis[] = { API_OLLAMA, API_OPENAI };

	for (size_t a = 0; a < 2; a++) {
		struct llm_stream *s = llm_stream_new(apis[a], 100000);
		const char *chunk = apis[a] == API_OLLAMA ? OL("0123456789012345678901234567890123456789") "\n"
		                                          : OA("{\"content\":\"0123456789012345678901234567890123456789\"}");
		size_t fed = 0;
		int rc = 0;
		while (rc == 0 && fed < 10u * 1000 * 1000) {
			rc = llm_stream_feed(s, chunk, strlen(chunk));
			fed += strlen(chunk);
		}
		ck_assert_int_eq(rc, -1);
		struct ygg_reply *r = llm_stream_reply(s);
		ck_assert_int_eq(r->fail, FAIL_PERMANENT);
		ck_assert_str_eq(r->error, "reply larger than 100000 bytes (max_response_bytes)");
		ck_assert_uint_le(r->len, 100000);
		ck_assert_uint_ge(r->len, 100000 - 40);
		ck_assert_int_eq(llm_stream_feed(s, "x", 1), -1);
		ck_assert_int_eq(llm_stream_finish(s), -1);
		ck_assert_str_eq(r->error, "reply larger than 100000 bytes (max_response_bytes)");
		llm_stream_free(s);
	}
}
END_TEST

/* One line with no end in sight is refused before it eats the memory. */
START_TEST(test_stream_endless_line)
{
	struct llm_stream *s = llm_stream_new(API_OLLAMA, 1000);
	char block[4096];
	int rc = 0;
	size_t fed = 0;

	memset(block, 'a', sizeof block);
	rc = llm_stream_feed(s, "{\"message\":{\"content\":\"", 23);
	while (rc == 0 && fed < 64u * 1024 * 1024) {
		rc = llm_stream_feed(s, block, sizeof block);
		fed += sizeof block;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_uint_lt(fed, 4u * 1024 * 1024);
	ck_assert_str_eq(llm_stream_reply(s)->error, "reply larger than 1000 bytes (max_response_bytes)");
	llm_stream_free(s);
}
END_TEST

/* ---------------------------------------------------------------- request bodies */

static void
add_msg(struct ygg_request *req, const char *role, const char *content)
{
	req->msgs = xrealloc(req->msgs, (req->nmsgs + 1) * sizeof *req->msgs);
	req->msgs[req->nmsgs].role = xstrdup(role);
	req->msgs[req->nmsgs].content = xstrdup(content);
	req->nmsgs++;
}

static void
add_opt(struct ygg_request *req, const char *name, const char *value)
{
	req->opt_names = xrealloc(req->opt_names, (req->nopts + 1) * sizeof *req->opt_names);
	req->opt_values = xrealloc(req->opt_values, (req->nopts + 1) * sizeof *req->opt_values);
	req->opt_names[req->nopts] = xstrdup(name);
	req->opt_values[req->nopts] = xstrdup(value);
	req->nopts++;
}

static const struct {
	enum api_kind api;
	const char *host_options;
	bool with_opts;
	const char *body;
} bodies[] = {
	{ API_OLLAMA, "{\"num_ctx\": 8192, \"temperature\": 0.9, \"keep_alive\": \"5m\", \"stream\": false}", true,
	    "{\"model\":\"qwen2.5-coder:7b\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
	    "{\"role\":\"user\",\"content\":\"Task: bd-1\\nSay \\\"hi\\\" \\u003cb\\u003e \\u0026 caf\xc3\xa9\"}],"
	    "\"stream\":true,\"keep_alive\":\"5m\",\"options\":{\"num_predict\":256,\"temperature\":0.2,"
	    "\"stop\":[\"\\n\\n\",\"END\"],\"seed\":42,\"top_p\":0.95,\"num_ctx\":8192}}" },
	{ API_OPENAI, "{\"num_ctx\": 8192, \"temperature\": 0.9, \"keep_alive\": \"5m\", \"stream\": false}", true,
	    "{\"model\":\"qwen2.5-coder:7b\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
	    "{\"role\":\"user\",\"content\":\"Task: bd-1\\nSay \\\"hi\\\" \\u003cb\\u003e \\u0026 caf\xc3\xa9\"}],"
	    "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":256,\"temperature\":0.2,"
	    "\"stop\":[\"\\n\\n\",\"END\"],\"seed\":42,\"top_p\":0.95,\"num_ctx\":8192,\"keep_alive\":\"5m\"}" },
	{ API_OLLAMA, NULL, false,
	    "{\"model\":\"qwen2.5-coder:7b\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
	    "{\"role\":\"user\",\"content\":\"Task: bd-1\\nSay \\\"hi\\\" \\u003cb\\u003e \\u0026 caf\xc3\xa9\"}],"
	    "\"stream\":true}" },
	{ API_OPENAI, "not json", false,
	    "{\"model\":\"qwen2.5-coder:7b\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
	    "{\"role\":\"user\",\"content\":\"Task: bd-1\\nSay \\\"hi\\\" \\u003cb\\u003e \\u0026 caf\xc3\xa9\"}],"
	    "\"stream\":true,\"stream_options\":{\"include_usage\":true}}" },
};

START_TEST(test_request_body)
{
	struct host_conf host = { 0 };
	struct ygg_request req;
	size_t len = 0;

	host.name = "skadi-code";
	host.url = "http://skadi:11434";
	host.api = bodies[_i].api;
	host.model = "qwen2.5-coder:7b";
	host.options = (char *)bodies[_i].host_options;
	request_init(&req);
	req.system = xstrdup("Be brief.");
	add_msg(&req, "user", "Task: bd-1\nSay \"hi\" <b> & caf\xc3\xa9");
	if (bodies[_i].with_opts) {
		add_opt(&req, "max_tokens", "256");
		add_opt(&req, "temperature", "0.2");
		add_opt(&req, "stop", "[\"\\n\\n\", \"END\"]");
		add_opt(&req, "seed", "42");
		add_opt(&req, "bogus", "{not json");  /* dropped */
		add_opt(&req, "model", "\"other\"");  /* may not replace the body's own keys */
		add_opt(&req, "top_p", " 0.95 ");
	}
	char *body = llm_request_body(&host, &req, &len);
	ck_assert_str_eq(body, bodies[_i].body);
	ck_assert_uint_eq(len, strlen(body));
	/* and it is JSON a server can read */
	struct json_object *o = json_tokener_parse(body);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
	free(body);
	request_clear(&req);
	ck_assert_uint_eq(req.nmsgs, 0);
	ck_assert_ptr_null(req.system);
	request_clear(&req); /* twice is fine */
}
END_TEST

START_TEST(test_paths)
{
	ck_assert_str_eq(llm_chat_path(API_OLLAMA), "/api/chat");
	ck_assert_str_eq(llm_chat_path(API_OPENAI), "/v1/chat/completions");
	ck_assert_str_eq(llm_probe_path(API_OLLAMA), "/api/tags");
	ck_assert_str_eq(llm_probe_path(API_OPENAI), "/v1/models");
	ck_assert_str_eq(fail_class_name(FAIL_NONE), "none");
	ck_assert_str_eq(fail_class_name(FAIL_TRANSIENT), "transient");
	ck_assert_str_eq(fail_class_name(FAIL_PERMANENT), "permanent");
	ck_assert_str_eq(fail_class_name(FAIL_MODEL_MISSING), "model-missing");
	ck_assert_str_eq(fail_class_name(FAIL_CANCELLED), "cancelled");
}
END_TEST

START_TEST(test_reply_clear)
{
	struct ygg_reply r;

	memset(&r, 0, sizeof r);
	r.content = xstrdup("x");
	r.len = 1;
	r.error = xstrdup("e");
	r.model = xstrdup("m");
	r.finish_reason = xstrdup("stop");
	r.fail = FAIL_PERMANENT;
	r.completion_tokens = 5;
	reply_clear(&r);
	ck_assert_ptr_null(r.content);
	ck_assert_ptr_null(r.error);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_int_eq(r.fail, FAIL_NONE);
	ck_assert_int_eq(r.completion_tokens, 0);
	ck_assert(r.ttft < 0 && r.gen_duration < 0 && r.retry_after < 0);
	reply_clear(&r);
	reply_clear(NULL);
}
END_TEST

/* ---------------------------------------------------------------- classification */

static const struct {
	int curl_code;
	long status;
	int os_errno;
	bool timed_out, idle, connected, too_large;
	double retry_after;
	const char *error; /* http.c's words */
	const char *body;
	enum fail_class want;
	const char *why; /* exact */
} classes[] = {
	{ 7, 0, ECONNREFUSED, false, false, false, false, -1, "connection refused", NULL, FAIL_TRANSIENT,
	    "connection refused" },
	{ 56, 200, ECONNRESET, false, false, true, false, -1, "connection reset by the server", NULL, FAIL_TRANSIENT,
	    "connection reset by the server" },
	{ 18, 200, 0, false, false, true, false, -1, "the server closed the connection mid-reply", NULL, FAIL_TRANSIENT,
	    "the server closed the connection mid-reply" },
	{ 28, 0, 0, true, false, false, false, -1, "could not connect within 5 s", NULL, FAIL_TRANSIENT,
	    "could not connect within 5 s" },
	{ 28, 200, 0, true, false, true, false, -1, "no complete reply within 600 s", NULL, FAIL_TRANSIENT,
	    "no complete reply within 600 s" },
	{ 28, 200, 0, true, true, true, false, -1, "no data for 120 s", NULL, FAIL_TRANSIENT, "no data for 120 s" },
	{ 6, 0, 0, false, false, false, false, -1, "could not resolve the host name", NULL, FAIL_TRANSIENT,
	    "could not resolve the host name" },
	{ 23, 200, 0, false, false, true, true, -1, "reply larger than 1000 bytes (max_response_bytes)", NULL, FAIL_PERMANENT,
	    "reply larger than 1000 bytes (max_response_bytes)" },
	{ 3, 0, 0, false, false, false, false, -1, "bad URL: malformed", NULL, FAIL_PERMANENT, "bad URL: malformed" },
	{ 0, 429, 0, false, false, true, false, 7, NULL, "{\"error\":{\"message\":\"Rate limit reached\"}}",
	    FAIL_TRANSIENT, "the server is rate limiting requests (HTTP 429): Rate limit reached; retry after 7 s" },
	{ 0, 429, 0, false, false, true, false, -1, NULL, "", FAIL_TRANSIENT,
	    "the server is rate limiting requests (HTTP 429)" },
	{ 0, 503, 0, false, false, true, false, 2.5, NULL,
	    "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}", FAIL_TRANSIENT,
	    "the server is unavailable (HTTP 503): server busy, please try again.  maximum pending requests exceeded; "
	    "retry after 2.5 s" },
	{ 0, 500, 0, false, false, true, false, -1, NULL, "{\"error\":\"llama runner process has terminated\"}",
	    FAIL_TRANSIENT, "server error (HTTP 500): llama runner process has terminated" },
	{ 0, 502, 0, false, false, true, false, -1, NULL, "<html><body><h1>502 Bad Gateway</h1></body></html>",
	    FAIL_TRANSIENT, "server error (HTTP 502): <html><body><h1>502 Bad Gateway</h1></body></html>" },
	{ 0, 504, 0, false, false, true, false, -1, NULL, NULL, FAIL_TRANSIENT, "server error (HTTP 504)" },
	{ 0, 507, 0, false, false, true, false, -1, NULL, NULL, FAIL_TRANSIENT, "server error (HTTP 507)" },
	{ 0, 400, 0, false, false, true, false, -1, NULL,
	    "{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens\",\"type\":"
	    "\"invalid_request_error\",\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}",
	    FAIL_PERMANENT,
	    "the server rejected the request (HTTP 400): This model's maximum context length is 8192 tokens" },
	{ 0, 401, 0, false, false, true, false, -1, NULL,
	    "{\"error\":{\"message\":\"Incorrect API key provided.\",\"code\":\"invalid_api_key\"}}", FAIL_PERMANENT,
	    "the server refused the credentials (HTTP 401): Incorrect API key provided." },
	{ 0, 403, 0, false, false, true, false, -1, NULL, "Forbidden", FAIL_PERMANENT,
	    "the server refused the credentials (HTTP 403): Forbidden" },
	{ 0, 413, 0, false, false, true, false, -1, NULL, NULL, FAIL_PERMANENT,
	    "the request is too large for the server (HTTP 413)" },
	{ 0, 422, 0, false, false, true, false, -1, NULL, "{\"detail\":\"field required\"}", FAIL_PERMANENT,
	    "the server rejected the request (HTTP 422): field required" },
	{ 0, 418, 0, false, false, true, false, -1, NULL, NULL, FAIL_PERMANENT,
	    "the server rejected the request (HTTP 418)" },
	{ 0, 404, 0, false, false, true, false, -1, NULL,
	    "{\"error\":\"model \\\"qwen:7b\\\" not found, try pulling it first\"}", FAIL_MODEL_MISSING,
	    "the model is not available on this host (HTTP 404): model \"qwen:7b\" not found, try pulling it first" },
	{ 0, 404, 0, false, false, true, false, -1, NULL,
	    "{\"error\":{\"message\":\"The model `gpt-5` does not exist or you do not have access to it.\",\"type\":"
	    "\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}",
	    FAIL_MODEL_MISSING,
	    "the model is not available on this host (HTTP 404): The model `gpt-5` does not exist or you do not have "
	    "access to it." },
	{ 0, 404, 0, false, false, true, false, -1, NULL,
	    "{\"object\":\"error\",\"message\":\"The model `x` does not exist.\",\"type\":\"NotFoundError\","
	    "\"code\":404}",
	    FAIL_MODEL_MISSING, "the model is not available on this host (HTTP 404): The model `x` does not exist." },
	{ 0, 404, 0, false, false, true, false, -1, NULL, "404 page not found", FAIL_PERMANENT,
	    "the server has no such endpoint (HTTP 404): 404 page not found" },
	{ 0, 301, 0, false, false, true, false, -1, NULL, NULL, FAIL_PERMANENT, "unexpected HTTP status 301" },
	{ 0, 200, 0, false, false, true, false, -1, NULL, NULL, FAIL_NONE, NULL },
	/* an error body cut short on purpose still counts by its status */
	{ 23, 500, 0, false, false, true, false, -1, "the transfer was aborted by its reader", "{\"error\":\"boom",
	    FAIL_TRANSIENT, "server error (HTTP 500): {\"error\":\"boom" },
};

START_TEST(test_classify)
{
	struct http_result res;
	char *why = (char *)"untouched";

	memset(&res, 0, sizeof res);
	res.curl_code = classes[_i].curl_code;
	res.status = classes[_i].status;
	res.os_errno = classes[_i].os_errno;
	res.timed_out = classes[_i].timed_out;
	res.idle_timed_out = classes[_i].idle;
	res.connected = classes[_i].connected;
	res.too_large = classes[_i].too_large;
	res.retry_after = classes[_i].retry_after;
	res.error = classes[_i].error;
	const char *body = classes[_i].body;
	enum fail_class got = llm_classify(&res, body, body != NULL ? strlen(body) : 0, &why);
	ck_assert_msg(got == classes[_i].want, "row %d: %s, want %s", _i, fail_class_name(got),
	    fail_class_name(classes[_i].want));
	if (classes[_i].why == NULL)
		ck_assert_ptr_null(why);
	else
		ck_assert_msg(why != NULL && strcmp(why, classes[_i].why) == 0, "row %d: why\n  \"%s\"\nwant\n  \"%s\"", _i,
		    why, classes[_i].why);
	free(why);
}
END_TEST

/* A long non-JSON error body is quoted up to 200 bytes, control bytes and all made safe. */
START_TEST(test_classify_long_body)
{
	struct http_result res;
	struct buf body;
	char *why = NULL;

	memset(&res, 0, sizeof res);
	res.status = 400;
	res.retry_after = -1;
	buf_init(&body);
	buf_adds(&body, "  \n\x1b[31mred\x1b[0m ");
	for (int i = 0; i < 100; i++)
		buf_adds(&body, "abcdefghij");
	ck_assert_int_eq(llm_classify(&res, body.p, body.len, &why), FAIL_PERMANENT);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_null(strchr(why, '\x1b'));
	ck_assert_msg(strncmp(why, "the server rejected the request (HTTP 400): ?[31mred?[0m abcdefghij", 66) == 0,
	    "%s", why);
	const char *msg = strstr(why, ": ") + 2;
	ck_assert_uint_eq(strlen(msg), 200 + 3);
	ck_assert_str_eq(msg + 200, "...");
	free(why);
	buf_free(&body);
}
END_TEST

/* ---------------------------------------------------------------- probes */

static const struct {
	enum api_kind api;
	const char *body;
	const char *model;
	int want;
} probes[] = {
	{ API_OLLAMA, "{\"models\":[{\"name\":\"llama3:latest\",\"model\":\"llama3:latest\"},{\"name\":\"qwen2.5-coder:7b\"}]}",
	    "qwen2.5-coder:7b", 1 },
	{ API_OLLAMA, "{\"models\":[{\"name\":\"llama3:latest\",\"model\":\"llama3:latest\"}]}", "llama3", 1 },
	{ API_OLLAMA, "{\"models\":[{\"name\":\"llama3\"}]}", "llama3:latest", 1 },
	{ API_OLLAMA, "{\"models\":[{\"model\":\"phi3:mini\"}]}", "phi3:mini", 1 },
	{ API_OLLAMA, "{\"models\":[{\"name\":\"llama3:8b\"}]}", "llama3", 0 },
	{ API_OLLAMA, "{\"models\":[{\"name\":\"llama3:latestx\"}]}", "llama3", 0 },
	{ API_OLLAMA, "{\"models\":[]}", "llama3", 0 },
	{ API_OLLAMA, "{\"data\":[{\"id\":\"llama3\"}]}", "llama3", -1 },
	{ API_OLLAMA, "<html>", "llama3", -1 },
	{ API_OLLAMA, "", "llama3", -1 },
	{ API_OPENAI, "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-x\",\"object\":\"model\"},{\"id\":\"m2\"}]}", "m2", 1 },
	{ API_OPENAI, "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-x\"}]}", "m2", 0 },
	{ API_OPENAI, "{\"models\":[{\"name\":\"m2\"}]}", "m2", -1 },
	{ API_OPENAI, "[]", "m2", -1 },
};

START_TEST(test_probe)
{
	const char *b = probes[_i].body;

	ck_assert_msg(llm_probe_has_model(probes[_i].api, b, strlen(b), probes[_i].model) == probes[_i].want,
	    "row %d: %s in %s", _i, probes[_i].model, b);
}
END_TEST

Suite *
llm_suite(void)
{
	Suite *s = suite_create("llm");
	TCase *tc;

	tc = tcase_create("stream");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_stream_table, 0, sizeof stream_cases / sizeof stream_cases[0]);
	tcase_add_test(tc, test_stream_endless);
	tcase_add_test(tc, test_stream_endless_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("request");
	tcase_add_loop_test(tc, test_request_body, 0, sizeof bodies / sizeof bodies[0]);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_reply_clear);
	suite_add_tcase(s, tc);

	tc = tcase_create("classify");
	tcase_add_loop_test(tc, test_classify, 0, sizeof classes / sizeof classes[0]);
	tcase_add_test(tc, test_classify_long_body);
	tcase_add_loop_test(tc, test_probe, 0, sizeof probes / sizeof probes[0]);
	suite_add_tcase(s, tc);
	return s;
}
