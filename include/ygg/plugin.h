/*
 * ygg/plugin.h - the whole contract between yggd and a handler plugin.
 *
 * A plugin is a shared object that exports one const symbol, ygg_plugin_entry
 * (struct ygg_plugin). yggd dlopen()s the file with RTLD_NOW | RTLD_LOCAL, checks
 * abi_version and size, the name and the task types, and only then calls any
 * plugin code (init). Plugins never link against the daemon: everything they may
 * call arrives in a struct ygg_host_api passed to init. No libevent, libcurl or
 * json-c type appears here; tasks, requests, replies and results are opaque.
 *
 * The core owns concurrency, retries, timeouts, status changes and HTTP. A plugin
 * builds the request (system prompt, messages, options) and turns the reply into a
 * result (text plus optional artifact files).
 *
 * Ownership, for every function below: "borrowed" pointers stay owned by the side
 * that passed them and are valid only for the duration of the call (or callback);
 * "copied" means the callee keeps its own copy; "caller frees with api->free" means
 * ownership moves to the caller.
 *
 * Compatibility: YGG_PLUGIN_ABI_VERSION changes when an existing field changes
 * meaning. New host functions are only appended to struct ygg_host_api; a plugin
 * must check api->size before using a function newer than the one it was built with
 * (YGG_HOST_API_HAS).
 */
#ifndef YGG_PLUGIN_H
#define YGG_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define YGG_PLUGIN_ABI_VERSION 1

#if defined(__GNUC__)
#define YGG_EXPORT __attribute__((visibility("default")))
#define YGG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define YGG_EXPORT
#define YGG_PRINTF(f, a)
#endif

/* Opaque handles. All are owned by the core. */
typedef struct ygg_task ygg_task;       /* the issue being handled, read-only */
typedef struct ygg_request ygg_request; /* the LLM request the plugin builds */
typedef struct ygg_reply ygg_reply;     /* the LLM reply, read-only */
typedef struct ygg_result ygg_result;   /* what the task produced */

enum ygg_log_level {
	YGG_LOG_ERROR = 0,
	YGG_LOG_WARN = 1,
	YGG_LOG_INFO = 2,
	YGG_LOG_DEBUG = 3,
};

/*
 * Called for each fenced code block found by text_code_blocks. lang and body are
 * borrowed (not NUL-terminated: use the lengths); lang_len may be 0. info is the
 * whole info string after the fence (language plus anything after it, e.g.
 * "python path=src/x.py"), also borrowed. Return nonzero to stop the walk.
 */
typedef int ygg_code_block_cb(void *arg, const char *info, size_t info_len,
    const char *body, size_t body_len);

/*
 * The functions yggd offers a plugin. The core fills every field; size comes first
 * so a plugin can tell which functions exist.
 */
struct ygg_host_api {
	size_t size;          /* sizeof(struct ygg_host_api) in the daemon */
	uint32_t abi_version; /* YGG_PLUGIN_ABI_VERSION of the daemon */

	/* Log a line tagged with the plugin's name. fmt and arguments borrowed. */
	void (*log)(const ygg_task *task, int level, const char *fmt, ...) YGG_PRINTF(3, 4);

	/*
	 * A field of the task: "id", "title", "description", "design",
	 * "acceptance_criteria", "notes", "issue_type", "priority", "type" (the
	 * detected task type), "handler", "host", "model", "attempt". Returns a
	 * borrowed NUL-terminated string valid until the callback returns, or NULL
	 * when the task has no such field.
	 */
	const char *(*task_get)(const ygg_task *task, const char *field);

	/*
	 * A key from the task's [handler.TYPE] section ("system_prompt", or any
	 * key the plugin documents). Borrowed; NULL when unset.
	 */
	const char *(*task_config)(const ygg_task *task, const char *key);

	/*
	 * The standard user message: the task's id, title and description verbatim,
	 * plus design, acceptance criteria and notes when present. Caller frees with
	 * api->free. Never NULL.
	 */
	char *(*task_prompt)(const ygg_task *task);

	/* Set the system prompt (text copied). Returns 0, or -1 on bad input. */
	int (*request_set_system)(ygg_request *req, const char *text);

	/* Append a chat message; role is "system", "user" or "assistant". Copied. */
	int (*request_add_message)(ygg_request *req, const char *role, const char *content);

	/*
	 * Set a model option by name to a JSON value given as text ("0.2", "4096",
	 * "[\"\\n\\n\"]"). Known names are mapped to each API's spelling:
	 * "temperature", "top_p", "max_tokens" (Ollama: num_predict), "stop",
	 * "seed". Other names pass through as they are. Copied. -1 when json_value
	 * is not valid JSON.
	 */
	int (*request_set_option)(ygg_request *req, const char *name, const char *json_value);

	/*
	 * The reply's assistant text. Borrowed, NUL-terminated, *len (when not
	 * NULL) set to its length in bytes (the text may contain NUL bytes only if
	 * the model sent them).
	 */
	const char *(*reply_text)(const ygg_reply *reply, size_t *len);

	/* The result's text: what goes in the comment and result.md. Copied. */
	int (*result_set_text)(ygg_result *res, const char *text, size_t len);

	/*
	 * Add an artifact file written under artifacts_dir/<issue-id>/NAME off the
	 * event loop. NAME is a relative path of plain components ("src/x.py");
	 * absolute paths, "..", empty or over-long components, NUL bytes and
	 * control characters are refused with -1 (nothing is written). Both copied.
	 */
	int (*result_add_artifact)(ygg_result *res, const char *name, const char *data, size_t len);

	/*
	 * Declare the task failed for a reason a person can read (copied). The
	 * core blocks the task with this reason; handle_reply should then return -1.
	 */
	void (*result_fail)(ygg_result *res, const char *reason);

	/* Walk the fenced (``` or ~~~) code blocks of text in order. */
	void (*text_code_blocks)(const char *text, size_t len, ygg_code_block_cb *cb, void *arg);

	/*
	 * Split <think>...</think> sections out of text. *thoughts and *answer are
	 * new NUL-terminated strings the caller frees with api->free (*thoughts is
	 * NULL when there were none). An unterminated <think> runs to the end.
	 * Returns 0, or -1 when out of memory.
	 */
	int (*text_split_think)(const char *text, size_t len, char **thoughts, char **answer);

	/*
	 * The longest prefix of text no longer than max bytes that ends on a UTF-8
	 * character boundary, preferring to end at a paragraph or sentence break in
	 * its last quarter. Returns the prefix length.
	 */
	size_t (*text_cut)(const char *text, size_t len, size_t max);

	/* Release memory the host API handed to the plugin. NULL is fine. */
	void (*free)(void *ptr);
};

/* True when the daemon's table is new enough to hold member m. */
#define YGG_HOST_API_HAS(api, m) \
	((api)->size >= offsetof(struct ygg_host_api, m) + sizeof((api)->m))

/*
 * The descriptor each plugin exports as ygg_plugin_entry. Data first: the loader
 * reads all of it before it calls any function in it.
 */
struct ygg_plugin {
	uint32_t abi_version; /* YGG_PLUGIN_ABI_VERSION the plugin was built with */
	uint32_t size;        /* sizeof(struct ygg_plugin) the plugin was built with */
	const char *name;     /* unique among loaded plugins: [a-z0-9_-]+ */
	const char *version;  /* the plugin's own version, free text */
	const char *description;
	const char *const *types; /* task types served, NULL-terminated, at least one */

	/*
	 * Called once after the checks pass. api is borrowed but stays valid until
	 * fini returns, so a plugin may keep the pointer. *state (initially NULL) is
	 * handed back to every other callback. Return 0, or -1 to refuse loading
	 * (after logging why through api->log with a NULL task).
	 */
	int (*init)(const struct ygg_host_api *api, void **state);

	/* Called once before the plugin is unloaded, when no task uses it. May be NULL. */
	void (*fini)(void *state);

	/*
	 * Build the request for task into req (system prompt, messages, options).
	 * task and req are borrowed for the call. May be called again for a retry
	 * of the same task. Return 0, or -1 (after api->log) to fail the task.
	 */
	int (*build_request)(void *state, const ygg_task *task, ygg_request *req);

	/*
	 * Turn a successful reply into res (text and artifacts). All three are
	 * borrowed for the call. Return 0 on success; -1 after api->result_fail
	 * when the reply is not acceptable (empty, malformed).
	 */
	int (*handle_reply)(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res);
};

/* Each plugin defines exactly this, e.g.
 *   YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = { ... };
 */
#define YGG_PLUGIN_ENTRY_SYMBOL "ygg_plugin_entry"

#ifdef __cplusplus
}
#endif
#endif /* YGG_PLUGIN_H */
