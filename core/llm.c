/*
 * llm.c - the chat call to one LLM host: the request body for each API, the
 * call itself over http.c with the reply streamed through llm_stream.c, and the
 * one place where an outcome is classified (DESIGN "LLM hosts") and put into
 * words for the task's comment.
 */
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ygg.h"

#define ERROR_BODY_MAX (64 * 1024) /* an error reply is kept up to this for its message */
#define SERVER_MSG_MAX 200         /* bytes of a non-JSON error body quoted */

/* ---- requests and replies */

void
request_init(struct ygg_request *req)
{
	memset(req, 0, sizeof *req);
}

void
request_clear(struct ygg_request *req)
{
	if (req == NULL)
		return;
	free(req->system);
	for (size_t i = 0; i < req->nmsgs; i++) {
		free(req->msgs[i].role);
		free(req->msgs[i].content);
	}
	free(req->msgs);
	for (size_t i = 0; i < req->nopts; i++) {
		free(req->opt_names[i]);
		free(req->opt_values[i]);
	}
	free(req->opt_names);
	free(req->opt_values);
	request_init(req);
}

void
reply_clear(struct ygg_reply *r)
{
	if (r == NULL)
		return;
	free(r->content);
	free(r->model);
	free(r->error);
	free(r->finish_reason);
	memset(r, 0, sizeof *r);
	r->ttft = -1;
	r->gen_duration = -1;
	r->retry_after = -1;
}

const char *
fail_class_name(enum fail_class c)
{
	switch (c) {
	case FAIL_NONE:
		return "none";
	case FAIL_TRANSIENT:
		return "transient";
	case FAIL_PERMANENT:
		return "permanent";
	case FAIL_MODEL_MISSING:
		return "model-missing";
	case FAIL_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}

const char *
llm_chat_path(enum api_kind api)
{
	return api == API_OLLAMA ? "/api/chat" : "/v1/chat/completions";
}

const char *
llm_probe_path(enum api_kind api)
{
	return api == API_OLLAMA ? "/api/tags" : "/v1/models";
}

/* ---- the request body */

/* Options in order, a later value for a name replacing the earlier one in place. */
struct opt_list {
	char **names;
	struct json_object **vals;
	size_t n;
};

static void
opt_set(struct opt_list *l, const char *name, struct json_object *val, bool replace)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->names[i], name) == 0) {
			if (replace) {
				json_object_put(l->vals[i]);
				l->vals[i] = val;
			} else {
				json_object_put(val);
			}
			return;
		}
	}
	l->names = xrealloc(l->names, (l->n + 1) * sizeof *l->names);
	l->vals = xrealloc(l->vals, (l->n + 1) * sizeof *l->vals);
	l->names[l->n] = xstrdup(name);
	l->vals[l->n] = val;
	l->n++;
}

static void
opt_clear(struct opt_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->names[i]);
		json_object_put(l->vals[i]);
	}
	free(l->names);
	free(l->vals);
}

static const char *
opt_name(enum api_kind api, const char *name)
{
	if (api == API_OLLAMA && strcmp(name, "max_tokens") == 0)
		return "num_predict";
	return name;
}

/* Ollama request fields that are not model options. */
static bool
ollama_top_level(const char *name)
{
	return strcmp(name, "keep_alive") == 0 || strcmp(name, "format") == 0 || strcmp(name, "think") == 0;
}

/* Keys the body sets itself: an option may not replace them. */
static bool
reserved_key(const char *name)
{
	return strcmp(name, "model") == 0 || strcmp(name, "messages") == 0 || strcmp(name, "stream") == 0 ||
	    strcmp(name, "stream_options") == 0;
}

/* One JSON value, whitespace around it allowed, nothing else; NULL when it is not that. */
static struct json_object *
parse_json_value(const char *text)
{
	struct json_tokener *tok;
	struct json_object *v;
	struct buf b;

	if (text == NULL)
		return NULL;
	/* a trailing space ends a bare number, which the tokener would otherwise wait on */
	buf_init(&b);
	buf_adds(&b, text);
	buf_addc(&b, ' ');
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	v = json_tokener_parse_ex(tok, b.p, (int)b.len);
	if (v != NULL) {
		for (size_t end = json_tokener_get_parse_end(tok); end < b.len; end++) {
			if (strchr(" \t\r\n", b.p[end]) == NULL) {
				json_object_put(v);
				v = NULL;
				break;
			}
		}
	}
	json_tokener_free(tok);
	buf_free(&b);
	return v;
}

static void
add_message(struct buf *b, bool *first, const char *role, const char *content)
{
	if (!*first)
		buf_addc(b, ',');
	*first = false;
	buf_adds(b, "{\"role\":");
	json_append_string(b, role, strlen(role));
	buf_adds(b, ",\"content\":");
	json_append_string(b, content != NULL ? content : "", content != NULL ? strlen(content) : 0);
	buf_addc(b, '}');
}

static void
add_member(struct buf *b, const char *name, struct json_object *val)
{
	buf_addc(b, ',');
	json_append_string(b, name, strlen(name));
	buf_addc(b, ':');
	buf_adds(b, json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

char *
llm_request_body(const struct host_conf *host, const struct ygg_request *req, size_t *len)
{
	struct opt_list opts = { 0 };
	struct buf b;
	bool first = true;

	/* the request's own options first; the host's fill in the names it leaves unset */
	for (size_t i = 0; i < req->nopts; i++) {
		struct json_object *v = parse_json_value(req->opt_values[i]);
		if (v != NULL && !reserved_key(req->opt_names[i]))
			opt_set(&opts, opt_name(host->api, req->opt_names[i]), v, true);
		else
			json_object_put(v);
	}
	if (host->options != NULL && *host->options != '\0') {
		struct json_object *ho = parse_json_value(host->options);
		if (ho != NULL && json_object_is_type(ho, json_type_object)) {
			json_object_object_foreach(ho, k, v) {
				if (!reserved_key(k))
					opt_set(&opts, opt_name(host->api, k), json_object_get(v), false);
			}
		}
		json_object_put(ho);
	}

	buf_init(&b);
	buf_adds(&b, "{\"model\":");
	json_append_string(&b, host->model != NULL ? host->model : "", host->model != NULL ? strlen(host->model) : 0);
	buf_adds(&b, ",\"messages\":[");
	if (req->system != NULL && *req->system != '\0')
		add_message(&b, &first, "system", req->system);
	for (size_t i = 0; i < req->nmsgs; i++)
		add_message(&b, &first, req->msgs[i].role != NULL ? req->msgs[i].role : "user", req->msgs[i].content);
	buf_adds(&b, "],\"stream\":true");
	if (host->api == API_OLLAMA) {
		bool any = false;
		for (size_t i = 0; i < opts.n; i++) {
			if (ollama_top_level(opts.names[i]))
				add_member(&b, opts.names[i], opts.vals[i]);
			else
				any = true;
		}
		if (any) {
			buf_adds(&b, ",\"options\":{");
			bool f = true;
			for (size_t i = 0; i < opts.n; i++) {
				if (ollama_top_level(opts.names[i]))
					continue;
				if (!f)
					buf_addc(&b, ',');
				f = false;
				json_append_string(&b, opts.names[i], strlen(opts.names[i]));
				buf_addc(&b, ':');
				buf_adds(&b, json_object_to_json_string_ext(opts.vals[i],
				    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			}
			buf_addc(&b, '}');
		}
	} else {
		buf_adds(&b, ",\"stream_options\":{\"include_usage\":true}");
		for (size_t i = 0; i < opts.n; i++)
			add_member(&b, opts.names[i], opts.vals[i]);
	}
	buf_addc(&b, '}');
	opt_clear(&opts);
	if (len != NULL)
		*len = b.len;
	return buf_steal(&b);
}

/* ---- probes */

static bool
model_matches(const char *listed, const char *want)
{
	size_t ll = strlen(listed), wl = strlen(want);
	static const char tag[] = ":latest";
	size_t tl = sizeof tag - 1;

	if (strcmp(listed, want) == 0)
		return true;
	/* "llama3" and "llama3:latest" are the same model to Ollama */
	if (ll == wl + tl && strncmp(listed, want, wl) == 0 && strcmp(listed + wl, tag) == 0)
		return true;
	if (wl == ll + tl && strncmp(want, listed, ll) == 0 && strcmp(want + ll, tag) == 0)
		return true;
	return false;
}

int
llm_probe_has_model(enum api_kind api, const char *body, size_t len, const char *model)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root, *list = NULL;
	int found = -1;

	root = json_tokener_parse_ex(tok, body, (int)len);
	json_tokener_free(tok);
	if (root == NULL)
		return -1;
	if (json_object_object_get_ex(root, api == API_OLLAMA ? "models" : "data", &list) &&
	    json_object_is_type(list, json_type_array)) {
		found = 0;
		for (size_t i = 0; i < json_object_array_length(list) && found == 0; i++) {
			struct json_object *m = json_object_array_get_idx(list, i), *v;
			const char *keys[2] = { api == API_OLLAMA ? "name" : "id", api == API_OLLAMA ? "model" : NULL };
			for (size_t k = 0; k < 2 && keys[k] != NULL; k++) {
				if (json_object_object_get_ex(m, keys[k], &v) && json_object_is_type(v, json_type_string) &&
				    model != NULL && model_matches(json_object_get_string(v), model))
					found = 1;
			}
		}
	}
	json_object_put(root);
	return found;
}

/* ---- classification */

/* The server's message in an error body, and its error code when it gives one. */
static void
server_message(const char *body, size_t len, struct buf *msg, struct buf *code)
{
	struct json_tokener *tok;
	struct json_object *root, *v, *err;

	if (body == NULL || len == 0)
		return;
	tok = json_tokener_new();
	root = json_tokener_parse_ex(tok, body, (int)len);
	json_tokener_free(tok);
	if (root != NULL && json_object_is_type(root, json_type_object)) {
		const char *text = NULL;
		if (json_object_object_get_ex(root, "error", &err)) {
			if (json_object_is_type(err, json_type_string)) {
				text = json_object_get_string(err);
			} else if (json_object_is_type(err, json_type_object)) {
				if (json_object_object_get_ex(err, "message", &v) && json_object_is_type(v, json_type_string))
					text = json_object_get_string(v);
				if (json_object_object_get_ex(err, "code", &v) && json_object_is_type(v, json_type_string))
					buf_adds(code, json_object_get_string(v));
			}
		}
		/* vLLM's {"object":"error","message":...}, FastAPI's {"detail":...} */
		if (text == NULL && json_object_object_get_ex(root, "message", &v) &&
		    json_object_is_type(v, json_type_string))
			text = json_object_get_string(v);
		if (text == NULL && json_object_object_get_ex(root, "detail", &v) &&
		    json_object_is_type(v, json_type_string))
			text = json_object_get_string(v);
		if (text != NULL) {
			llm_quote(msg, text, strlen(text), 500);
			json_object_put(root);
			return;
		}
	}
	json_object_put(root);
	/* not JSON, or JSON without a message: quote the start of it */
	size_t start = 0;
	while (start < len && strchr(" \t\r\n", body[start]) != NULL)
		start++;
	llm_quote(msg, body + start, len - start, SERVER_MSG_MAX);
}

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay != NULL && *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* Ollama: `model "x" not found, try pulling it first`; OpenAI: "The model `x` does not exist", code model_not_found. */
static bool
is_model_missing(const char *msg, const char *code)
{
	if (code != NULL && strcmp(code, "model_not_found") == 0)
		return true;
	return contains_ci(msg, "model") && (contains_ci(msg, "not found") || contains_ci(msg, "does not exist"));
}

struct words {
	const char *name; /* host name, or NULL */
	const char *url;  /* host URL, or NULL */
	const char *model;
};

static char *
say(const struct words *w, const char *what, const char *hint)
{
	struct buf b;

	buf_init(&b);
	if (w->name != NULL)
		buf_printf(&b, "%s: ", w->name);
	buf_adds(&b, what);
	if (hint != NULL && w->url != NULL)
		buf_printf(&b, " (%s)", hint);
	return buf_steal(&b);
}

static enum fail_class
classify_transport(const struct http_result *res, const struct words *w, char **why)
{
	const char *err = res->error != NULL ? res->error : curl_easy_strerror((CURLcode)res->curl_code);
	char *hint = NULL;
	enum fail_class cls = FAIL_TRANSIENT;

	if (res->too_large) {
		cls = FAIL_PERMANENT;
		hint = w->url != NULL ? xstrdup("raise max_response_bytes if such replies are expected") : NULL;
	} else if (res->os_errno == ECONNREFUSED || res->curl_code == CURLE_COULDNT_CONNECT) {
		if (w->url != NULL)
			hint = xasprintf(res->os_errno == ECONNREFUSED ? "is the server running at %s?" :
			                                                 "is %s reachable?", w->url);
	} else if (res->idle_timed_out) {
		if (w->url != NULL)
			hint = xasprintf("the server at %s stopped sending", w->url);
	} else if (res->timed_out && !res->connected) {
		if (w->url != NULL)
			hint = xasprintf("is %s up and reachable?", w->url);
	} else if (res->timed_out) {
		if (w->url != NULL)
			hint = xasprintf("%s is too slow for the timeout", w->url);
	} else if (res->curl_code == CURLE_COULDNT_RESOLVE_HOST) {
		if (w->url != NULL)
			hint = xasprintf("check the host name in %s", w->url);
	} else if (res->curl_code == CURLE_URL_MALFORMAT || res->curl_code == CURLE_UNSUPPORTED_PROTOCOL) {
		cls = FAIL_PERMANENT;
		if (w->url != NULL)
			hint = xasprintf("check url = %s", w->url);
	} else if (w->url != NULL) {
		hint = xstrdup(w->url);
	}
	*why = say(w, err, hint);
	free(hint);
	return cls;
}

static enum fail_class
classify_ex(const struct http_result *res, const char *body, size_t len, const struct words *w, char **why)
{
	struct buf msg, code, what;
	enum fail_class cls;
	long st = res->status;
	const char *hint = NULL;

	*why = NULL;
	/* A status of 400 or more decides even when the body was cut short on purpose. */
	if (st < 400 && (res->curl_code != 0 || res->too_large))
		return classify_transport(res, w, why);
	if (st >= 200 && st < 300)
		return FAIL_NONE;

	buf_init(&msg);
	buf_init(&code);
	buf_init(&what);
	server_message(body, len, &msg, &code);
	if (st == 429) {
		cls = FAIL_TRANSIENT;
		buf_adds(&what, "the server is rate limiting requests (HTTP 429)");
	} else if (st == 503) {
		cls = FAIL_TRANSIENT;
		buf_adds(&what, "the server is unavailable (HTTP 503)");
	} else if (st >= 500) {
		cls = FAIL_TRANSIENT;
		buf_printf(&what, "server error (HTTP %ld)", st);
	} else if (st == 404 && is_model_missing(msg.p, code.p)) {
		cls = FAIL_MODEL_MISSING;
		if (w->model != NULL)
			buf_printf(&what, "model \"%s\" is not available on this host (HTTP 404)", w->model);
		else
			buf_adds(&what, "the model is not available on this host (HTTP 404)");
		hint = "pull it there, or list another host for this handler";
	} else if (st == 404) {
		cls = FAIL_PERMANENT;
		buf_adds(&what, "the server has no such endpoint (HTTP 404)");
		hint = "is url right, and api = ollama or openai the right kind?";
	} else if (st == 401 || st == 403) {
		cls = FAIL_PERMANENT;
		buf_printf(&what, "the server refused the credentials (HTTP %ld)", st);
		hint = "check api_key_env or api_key_file";
	} else if (st == 413) {
		cls = FAIL_PERMANENT;
		buf_adds(&what, "the request is too large for the server (HTTP 413)");
	} else if (st >= 400) {
		cls = FAIL_PERMANENT;
		buf_printf(&what, "the server rejected the request (HTTP %ld)", st);
	} else {
		cls = FAIL_PERMANENT;
		buf_printf(&what, "unexpected HTTP status %ld", st);
		hint = "yggd does not follow redirects: point url at the server itself";
	}
	if (msg.len > 0)
		buf_printf(&what, ": %s", msg.p);
	if ((st == 429 || st == 503) && res->retry_after >= 0)
		buf_printf(&what, "; retry after %g s", res->retry_after);
	*why = say(w, what.p, hint);
	buf_free(&msg);
	buf_free(&code);
	buf_free(&what);
	return cls;
}

enum fail_class
llm_classify(const struct http_result *res, const char *body, size_t len, char **why)
{
	struct words w = { NULL, NULL, NULL };
	char *tmp = NULL;
	enum fail_class cls = classify_ex(res, body, len, &w, &tmp);

	if (why != NULL)
		*why = tmp;
	else
		free(tmp);
	return cls;
}

/* ---- the call */

struct llm_call {
	struct http_req *req;
	struct llm_stream *stream;
	enum api_kind api;
	char *name; /* copies: a reload may change the host's settings mid-call */
	char *url;
	char *model;
	llm_done_cb *cb;
	void *arg;
	struct buf errbody; /* the body of an HTTP error reply */
	bool err_capped;
	bool stream_failed;
};

static void
call_free(struct llm_call *c)
{
	if (c == NULL)
		return;
	llm_stream_free(c->stream);
	buf_free(&c->errbody);
	free(c->name);
	free(c->url);
	free(c->model);
	free(c);
}

static int
call_data(const char *data, size_t len, void *arg)
{
	struct llm_call *c = arg;
	long st = http_req_status(c->req);

	if (st < 200 || st >= 300) {
		/* an error (or redirect) reply: keep its start for the message, stop reading past the cap */
		size_t room = ERROR_BODY_MAX - c->errbody.len;
		buf_add(&c->errbody, data, len < room ? len : room);
		if (len >= room) {
			c->err_capped = true;
			return 1;
		}
		return 0;
	}
	if (llm_stream_feed(c->stream, data, len) != 0) {
		c->stream_failed = true;
		return 1;
	}
	return 0;
}

static void
prefix_error(struct llm_call *c, struct ygg_reply *r)
{
	char *e = xasprintf("%s: %s", c->name, r->error != NULL ? r->error : "the reply was unusable");

	free(r->error);
	r->error = e;
}

static void
call_done(const struct http_result *res, void *arg)
{
	struct llm_call *c = arg;
	struct ygg_reply *r = llm_stream_reply(c->stream);
	struct words w = { c->name, c->url, c->model };

	c->req = NULL;
	r->status = res->status;
	r->duration = res->elapsed;
	r->retry_after = res->retry_after;
	bool ok_status = res->status >= 200 && res->status < 300;

	if (c->stream_failed) {
		/* the parser already said what was wrong: an error line, garbage, or too much */
		prefix_error(c, r);
	} else if (ok_status && res->curl_code != 0 && !res->too_large && r->done) {
		/*
		 * The server said the reply was complete (done:true, [DONE]) and the
		 * connection broke only afterwards, before the transfer's own end: the
		 * reply is whole, so it counts.
		 */
		log_debug("host=%s reply complete; the transfer then failed: %s", c->name,
		    res->error != NULL ? res->error : "error");
		r->fail = FAIL_NONE;
	} else if (!ok_status || res->curl_code != 0 || res->too_large) {
		char *why = NULL;
		free(r->error);
		r->fail = classify_ex(res, c->errbody.p, c->errbody.len, &w, &why);
		if (r->fail == FAIL_NONE) {
			/* classify_ex says none only for a clean 2xx, which is not this branch; be safe anyway */
			r->fail = FAIL_TRANSIENT;
		}
		r->error = why;
		r->done = false;
	} else if (llm_stream_finish(c->stream) != 0) {
		prefix_error(c, r);
	} else {
		r->fail = FAIL_NONE;
	}
	log_debug("host=%s status=%ld fail=%s duration=%.3f ttft=%.3f tokens=%lld%s%s", c->name, r->status,
	    fail_class_name(r->fail), r->duration, r->ttft, (long long)r->completion_tokens,
	    r->error != NULL ? " error=" : "", r->error != NULL ? r->error : "");
	c->cb(r, c->arg);
	call_free(c);
}

struct llm_call *
llm_call_start(struct http *h, const struct llm_call_opts *o, const struct ygg_request *req, llm_done_cb *cb,
    void *arg)
{
	const struct host_conf *host = o->host;
	struct llm_call *c;
	char *body, *url, *auth = NULL;
	const char *headers[4];
	size_t blen, nh = 0;

	if (h == NULL || host == NULL || req == NULL || cb == NULL)
		return NULL;
	c = xcalloc(1, sizeof *c);
	c->api = host->api;
	c->name = xstrdup(host->name != NULL ? host->name : "host");
	c->url = xstrdup(host->url != NULL ? host->url : "");
	c->model = host->model != NULL ? xstrdup(host->model) : NULL;
	c->cb = cb;
	c->arg = arg;
	buf_init(&c->errbody);
	c->stream = llm_stream_new(host->api, o->max_bytes);

	body = llm_request_body(host, req, &blen);
	url = xasprintf("%s%s", c->url, llm_chat_path(host->api));
	headers[nh++] = "Content-Type: application/json";
	headers[nh++] = host->api == API_OLLAMA ? "Accept: application/x-ndjson" : "Accept: text/event-stream";
	if (o->api_key != NULL && *o->api_key != '\0') {
		/* sent to either API: an Ollama behind an authenticating proxy needs it too */
		auth = xasprintf("Authorization: Bearer %s", o->api_key);
		headers[nh++] = auth;
	}
	headers[nh] = NULL;

	/*
	 * The parser caps the content at max_bytes; the wire carries JSON around every
	 * token, so the transfer's own cap is looser and only stops a runaway stream
	 * that carries no content.
	 */
	size_t wire_cap = 0;
	if (o->max_bytes > 0 && o->max_bytes < ((size_t)1 << 40))
		wire_cap = o->max_bytes * 64 + ((size_t)16 << 20);
	struct http_opts ho = {
		.method = "POST",
		.url = url,
		.body = body,
		.body_len = blen,
		.headers = headers,
		.connect_timeout = host->connect_timeout,
		.idle_timeout = host->idle_timeout,
		.total_timeout = o->total_timeout > 0 ? o->total_timeout : host->timeout,
		.max_bytes = wire_cap,
	};
	c->req = http_start(h, &ho, call_data, call_done, c);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	free(body);
	free(url);
	if (c->req == NULL) {
		call_free(c);
		return NULL;
	}
	return c;
}

void
llm_call_cancel(struct llm_call *c)
{
	if (c == NULL || c->req == NULL)
		return; /* NULL req: its callback is running, and the call ends with it */
	http_cancel(c->req);
	call_free(c);
}
