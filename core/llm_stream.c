/*
 * llm_stream.c - incremental parsers for the two reply formats, fed bytes in
 * whatever pieces the network delivers.
 *
 * Ollama (/api/chat): NDJSON, one object per line; message.content pieces, a last
 * object with "done": true and the counters; {"error": "..."} for failures.
 * OpenAI (/v1/chat/completions): server-sent events, "data: {json}" lines, blank
 * lines between events, ":" comments, choices[0].delta.content pieces, a usage
 * chunk when stream_options.include_usage was asked for, and "data: [DONE]".
 * Either may also arrive as one plain JSON body (stream: false, or an error body),
 * possibly pretty-printed over several lines.
 *
 * Everything is decided per complete line, so the result does not depend on how
 * the bytes were split: one byte at a time gives what all at once gives. Reasoning
 * text that servers send apart from the answer (Ollama message.thinking, OpenAI-style
 * reasoning_content) is kept inline as <think>...</think>, the form the handlers
 * already split out.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

#define HEAD_MAX 80 /* bytes of a bad line quoted in the error */

enum stream_mode {
	MODE_UNKNOWN, /* nothing but blank lines yet */
	MODE_JSON,    /* NDJSON, or one JSON body */
	MODE_SSE,     /* server-sent events */
};

struct llm_stream {
	enum api_kind api;
	size_t max_bytes; /* content cap, 0 none */
	size_t line_cap;  /* longest line (or JSON object, or event) accepted */
	int64_t t0;
	struct ygg_reply reply;
	struct buf content; /* reply.content aliases content.p */
	struct buf line;    /* the line being assembled */
	enum stream_mode mode;

	/* JSON mode: an object may span lines */
	struct json_tokener *tok;
	bool obj_open;
	struct buf obj_head; /* the first bytes of the object, for messages */
	size_t obj_len;

	/* SSE mode: the data lines of the event being assembled */
	struct buf sse_data;
	bool sse_has_data;

	bool in_think;
	bool failed;
	bool ended; /* done:true or [DONE] seen: the rest is ignored */
};

static void
sync_reply(struct llm_stream *s)
{
	s->reply.content = s->content.p;
	s->reply.len = s->content.len;
}

static void
stream_fail(struct llm_stream *s, enum fail_class cls, const char *fmt, ...) YGG_PRINTF_LIKE(3, 4);

static void
stream_fail(struct llm_stream *s, enum fail_class cls, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	int n;

	if (s->failed)
		return;
	s->failed = true;
	buf_init(&b);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_reserve(&b, n > 0 ? (size_t)n : 0);
	va_start(ap, fmt);
	vsnprintf(b.p, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	b.len = n > 0 ? (size_t)n : 0;
	free(s->reply.error);
	s->reply.error = buf_steal(&b);
	s->reply.fail = cls;
}

static void
fail_too_large(struct llm_stream *s)
{
	stream_fail(s, FAIL_PERMANENT, "reply larger than %zu bytes (max_response_bytes)", s->max_bytes);
}

/* Untrusted bytes in a message (see ygg.h). */
void
llm_quote(struct buf *b, const char *text, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, out = 0;

	while (i < n && out < max) {
		unsigned char c = p[i];
		size_t len = 1;
		if (c >= 0x20 && c < 0x7f) {
			buf_addc(b, (char)c);
		} else if (c == '\t' || c == '\r' || c == '\n') {
			buf_addc(b, ' ');
		} else if (c >= 0xc2 && c <= 0xf4) {
			len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
			bool ok = i + len <= n && out + len <= max;
			for (size_t k = 1; ok && k < len; k++)
				ok = (p[i + k] & 0xc0) == 0x80;
			if (ok) {
				buf_add(b, p + i, len);
			} else {
				buf_addc(b, '?');
				len = 1;
			}
		} else {
			buf_addc(b, '?');
		}
		i += len;
		out += len;
	}
	if (i < n)
		buf_adds(b, "...");
}

static void
fail_unparseable(struct llm_stream *s, const char *p, size_t n)
{
	struct buf q;

	buf_init(&q);
	llm_quote(&q, p, n, HEAD_MAX);
	stream_fail(s, FAIL_TRANSIENT, "unparseable reply from the server: %s", q.p != NULL ? q.p : "");
	buf_free(&q);
}

/* ---- content */

static void
add_raw(struct llm_stream *s, const char *t, size_t n)
{
	if (s->max_bytes > 0 && (n > s->max_bytes || s->content.len > s->max_bytes - n)) {
		fail_too_large(s);
		return;
	}
	buf_add(&s->content, t, n);
	sync_reply(s);
}

static void
add_text(struct llm_stream *s, const char *t, size_t n, bool thought)
{
	if (n == 0 || s->failed)
		return;
	if (thought && !s->in_think) {
		add_raw(s, "<think>", 7);
		s->in_think = true;
	} else if (!thought && s->in_think) {
		add_raw(s, "</think>\n", 9);
		s->in_think = false;
	}
	add_raw(s, t, n);
	if (s->reply.ttft < 0 && !s->failed)
		s->reply.ttft = (double)(now_mono_ns() - s->t0) / 1e9;
}

static void
mark_done(struct llm_stream *s)
{
	if (s->in_think) {
		add_raw(s, "</think>\n", 9);
		s->in_think = false;
	}
	if (s->failed)
		return;
	s->reply.done = true;
	s->ended = true;
}

/* ---- json-c helpers */

static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool
get_string(struct json_object *o, const char *key, const char **s, size_t *len)
{
	struct json_object *v = get(o, key);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return false;
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	return true;
}

static void
take_text(struct llm_stream *s, struct json_object *o, const char *key, bool thought)
{
	const char *t;
	size_t n;

	if (get_string(o, key, &t, &n))
		add_text(s, t, n, thought);
}

static bool
get_number(struct json_object *o, const char *key, double *out)
{
	struct json_object *v = get(o, key);

	if (v == NULL || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return false;
	*out = json_object_get_double(v);
	return true;
}

static void
take_int(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v = get(o, key);

	if (v != NULL && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		*out = json_object_get_int64(v);
}

static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

/*
 * The server's own words from an error value: a string, or an object with a
 * "message" (OpenAI), else its JSON text.
 */
static void
error_text(struct json_object *err, struct buf *out)
{
	const char *t;
	size_t n;

	if (json_object_is_type(err, json_type_string)) {
		t = json_object_get_string(err);
		n = (size_t)json_object_get_string_len(err);
	} else if (get_string(err, "message", &t, &n)) {
		;
	} else {
		t = json_object_to_json_string_ext(err, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		n = strlen(t);
	}
	llm_quote(out, t, n, 500);
}

/* {"error": ...} or vLLM's {"object": "error", "message": ...}: true when o is one (stream failed). */
static bool
check_error(struct llm_stream *s, struct json_object *o)
{
	struct json_object *err = get(o, "error");
	const char *t;
	size_t n;
	struct buf b;

	buf_init(&b);
	if (err != NULL && !json_object_is_type(err, json_type_null)) {
		error_text(err, &b);
	} else if (get_string(o, "object", &t, &n) && strcmp(t, "error") == 0) {
		if (get_string(o, "message", &t, &n))
			llm_quote(&b, t, n, 500);
	} else {
		return false;
	}
	stream_fail(s, FAIL_TRANSIENT, "the server reported an error: %s",
	    b.len > 0 ? b.p : "(no message)");
	buf_free(&b);
	return true;
}

/* ---- the two APIs' objects */

static void
ollama_object(struct llm_stream *s, struct json_object *o)
{
	struct json_object *msg, *done;
	const char *t;
	size_t n;
	double d;

	if (check_error(s, o))
		return;
	if (s->reply.model == NULL && get_string(o, "model", &t, &n))
		s->reply.model = xstrdup(t);
	msg = get(o, "message");
	if (msg != NULL) {
		take_text(s, msg, "thinking", true);
		take_text(s, msg, "content", false);
	}
	take_text(s, o, "response", false); /* /api/generate's spelling */
	done = get(o, "done");
	if (done != NULL && json_object_is_type(done, json_type_boolean) && json_object_get_boolean(done)) {
		take_int(o, "prompt_eval_count", &s->reply.prompt_tokens);
		take_int(o, "eval_count", &s->reply.completion_tokens);
		if (get_number(o, "eval_duration", &d))
			s->reply.gen_duration = d / 1e9;
		if (get_string(o, "done_reason", &t, &n))
			set_str(&s->reply.finish_reason, t);
		mark_done(s);
	}
}

static void
openai_object(struct llm_stream *s, struct json_object *o)
{
	struct json_object *choices, *usage, *timings;
	const char *t;
	size_t n;
	double d;
	bool complete = false;

	if (check_error(s, o))
		return;
	if (s->reply.model == NULL && get_string(o, "model", &t, &n))
		s->reply.model = xstrdup(t);
	choices = get(o, "choices");
	if (choices != NULL && json_object_is_type(choices, json_type_array) &&
	    json_object_array_length(choices) > 0) {
		struct json_object *c = json_object_array_get_idx(choices, 0);
		struct json_object *delta = get(c, "delta"), *message = get(c, "message");
		if (delta != NULL) {
			take_text(s, delta, "reasoning_content", true);
			take_text(s, delta, "reasoning", true);
			take_text(s, delta, "content", false);
		}
		if (message != NULL) {
			/* a whole (non-streamed) reply */
			take_text(s, message, "reasoning_content", true);
			take_text(s, message, "reasoning", true);
			take_text(s, message, "content", false);
			complete = true;
		}
		take_text(s, c, "text", false); /* legacy completions */
		if (get_string(c, "finish_reason", &t, &n))
			set_str(&s->reply.finish_reason, t);
	}
	usage = get(o, "usage");
	if (usage != NULL) {
		take_int(usage, "prompt_tokens", &s->reply.prompt_tokens);
		take_int(usage, "completion_tokens", &s->reply.completion_tokens);
	}
	timings = get(o, "timings"); /* llama.cpp's server */
	if (timings != NULL && get_number(timings, "predicted_ms", &d))
		s->reply.gen_duration = d / 1000.0;
	if (complete && s->mode == MODE_JSON)
		mark_done(s);
}

static void
handle_object(struct llm_stream *s, struct json_object *o)
{
	if (s->api == API_OLLAMA)
		ollama_object(s, o);
	else
		openai_object(s, o);
}

/* ---- JSON mode: objects one after another, each on one line or spread over several */

static void
json_feed(struct llm_stream *s, const char *p, size_t n)
{
	while (n > 0 && !s->failed && !s->ended) {
		if (!s->obj_open) {
			while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
				p++, n--;
			if (n == 0)
				return;
			json_tokener_reset(s->tok);
			buf_reset(&s->obj_head);
			s->obj_len = 0;
			s->obj_open = true;
		}
		if (s->obj_head.len <= HEAD_MAX) {
			size_t k = HEAD_MAX + 1 - s->obj_head.len;
			buf_add(&s->obj_head, p, k < n ? k : n);
		}
		struct json_object *o = json_tokener_parse_ex(s->tok, p, (int)n);
		enum json_tokener_error e = json_tokener_get_error(s->tok);
		if (o == NULL) {
			if (e != json_tokener_continue) {
				fail_unparseable(s, s->obj_head.p, s->obj_head.len);
				return;
			}
			s->obj_len += n;
			if (s->obj_len > s->line_cap)
				fail_too_large(s);
			return;
		}
		size_t used = json_tokener_get_parse_end(s->tok);
		s->obj_open = false;
		if (json_object_is_type(o, json_type_object))
			handle_object(s, o);
		else
			fail_unparseable(s, s->obj_head.p, s->obj_head.len);
		json_object_put(o);
		if (used > n)
			used = n;
		p += used;
		n -= used;
	}
}

static void
json_line(struct llm_stream *s, const char *p, size_t n, bool eol)
{
	json_feed(s, p, n);
	/* the line break separates tokens inside an object that goes on */
	if (eol && s->obj_open && !s->failed)
		json_feed(s, "\n", 1);
}

/* ---- SSE mode */

/* Complete text holding one or more JSON objects (an event's data, a bare JSON line). */
static void
json_text(struct llm_stream *s, const char *p, size_t n)
{
	json_feed(s, p, n);
	if (s->obj_open && !s->failed && !s->ended) {
		s->obj_open = false;
		fail_unparseable(s, s->obj_head.p, s->obj_head.len);
	}
	s->obj_open = false;
}

static void
sse_dispatch(struct llm_stream *s)
{
	if (!s->sse_has_data)
		return;
	s->sse_has_data = false;
	json_text(s, s->sse_data.p, s->sse_data.len);
	buf_reset(&s->sse_data);
}

static bool
field_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(p, name, n) == 0;
}

static void
sse_line(struct llm_stream *s, const char *p, size_t n)
{
	const char *colon, *val;
	size_t flen, vlen;

	if (n == 0) {
		sse_dispatch(s);
		return;
	}
	if (p[0] == ':')
		return; /* a comment (keep-alive) */
	if (p[0] == '{') {
		/* a bare JSON object in an event stream: some proxies send errors this way */
		sse_dispatch(s);
		json_text(s, p, n);
		return;
	}
	colon = memchr(p, ':', n);
	flen = colon != NULL ? (size_t)(colon - p) : n;
	val = colon != NULL ? colon + 1 : p + n;
	vlen = n - (size_t)(val - p);
	if (vlen > 0 && *val == ' ')
		val++, vlen--;
	if (field_is(p, flen, "data")) {
		if (vlen == 6 && memcmp(val, "[DONE]", 6) == 0) {
			sse_dispatch(s);
			if (!s->failed)
				mark_done(s);
			return;
		}
		if (s->sse_data.len + vlen + 1 > s->line_cap) {
			fail_too_large(s);
			return;
		}
		if (s->sse_has_data)
			buf_addc(&s->sse_data, '\n');
		buf_add(&s->sse_data, val, vlen);
		s->sse_has_data = true;
	} else if (field_is(p, flen, "event") || field_is(p, flen, "id") || field_is(p, flen, "retry")) {
		return;
	} else {
		fail_unparseable(s, p, n);
	}
}

/* ---- lines */

/* One line without its "\n"; eol false for the unterminated last one. */
static void
process_line(struct llm_stream *s, const char *p, size_t n, bool eol)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (s->mode == MODE_UNKNOWN) {
		size_t i = 0;
		/* a UTF-8 byte order mark is not content */
		if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
			i = 3;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n)
			return;
		if (s->api == API_OLLAMA || p[i] == '{' || p[i] == '[')
			s->mode = MODE_JSON;
		else
			s->mode = MODE_SSE;
		p += i;
		n -= i;
	}
	if (s->mode == MODE_JSON)
		json_line(s, p, n, eol);
	else
		sse_line(s, p, n);
}

/* ---- the public side */

struct llm_stream *
llm_stream_new(enum api_kind api, size_t max_bytes)
{
	struct llm_stream *s = xcalloc(1, sizeof *s);

	s->api = api;
	s->max_bytes = max_bytes;
	/* JSON escaping can make a line several times longer than the text it carries. */
	if (max_bytes == 0 || max_bytes > ((size_t)64 << 20))
		s->line_cap = (size_t)256 << 20;
	else
		s->line_cap = max_bytes * 4 + ((size_t)1 << 20);
	s->t0 = now_mono_ns();
	s->reply.ttft = -1;
	s->reply.gen_duration = -1;
	s->reply.retry_after = -1;
	buf_init(&s->content);
	buf_add(&s->content, "", 0);
	sync_reply(s);
	buf_init(&s->line);
	buf_init(&s->obj_head);
	buf_init(&s->sse_data);
	s->tok = json_tokener_new();
	json_tokener_set_flags(s->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	return s;
}

void
llm_stream_free(struct llm_stream *s)
{
	if (s == NULL)
		return;
	s->reply.content = NULL; /* it is content.p, freed below */
	reply_clear(&s->reply);
	buf_free(&s->content);
	buf_free(&s->line);
	buf_free(&s->obj_head);
	buf_free(&s->sse_data);
	json_tokener_free(s->tok);
	free(s);
}

int
llm_stream_feed(struct llm_stream *s, const char *data, size_t len)
{
	while (len > 0 && !s->failed && !s->ended) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - data) : len;

		if (s->line.len + n > s->line_cap) {
			fail_too_large(s);
			break;
		}
		buf_add(&s->line, data, n);
		if (nl == NULL)
			break;
		data += n + 1;
		len -= n + 1;
		process_line(s, s->line.p, s->line.len, true);
		buf_reset(&s->line);
	}
	return s->failed ? -1 : 0;
}

int
llm_stream_finish(struct llm_stream *s)
{
	if (!s->failed && !s->ended && s->line.len > 0) {
		process_line(s, s->line.p, s->line.len, false);
		buf_reset(&s->line);
	}
	if (!s->failed && !s->ended && s->mode == MODE_SSE)
		sse_dispatch(s);
	if (s->failed)
		return -1;
	if (!s->reply.done) {
		if (s->mode == MODE_UNKNOWN)
			stream_fail(s, FAIL_TRANSIENT, "the server closed the reply without sending anything");
		else
			stream_fail(s, FAIL_TRANSIENT, "the reply ended before the server said it was done (truncated)");
		return -1;
	}
	return 0;
}

struct ygg_reply *
llm_stream_reply(struct llm_stream *s)
{
	sync_reply(s);
	return &s->reply;
}

size_t
llm_stream_content_len(const struct llm_stream *s)
{
	return s->content.len;
}
