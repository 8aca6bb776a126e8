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
 * One fenced code block found by text_code_blocks. Every pointer is borrowed from
 * the text being walked (not NUL-terminated: use the lengths) and is valid only
 * during the callback. New members are only appended; size says how many exist.
 */
struct ygg_code_block {
	size_t size;          /* sizeof(struct ygg_code_block) in the daemon */
	unsigned index;       /* 1 for the first block of the text, 2 for the next... */
	const char *info;     /* the whole info string after the fence, trimmed */
	size_t info_len;      /* (e.g. "python file=src/x.py"); 0 when none */
	const char *lang;     /* the language word of the info string, 0 length when none */
	size_t lang_len;
	const char *path;     /* the file the block is for, 0 length when none: from */
	size_t path_len;      /* file=, path= or filename= in the info string, a */
	                      /* "python:src/x.py" or "src/x.py" info word, or a */
	                      /* "File: src/x.py" line just before the fence */
	const char *body;     /* the lines between the fences, each with its newline */
	size_t body_len;
	int terminated;       /* 0 when the text ended before the closing fence */
	const char *block;    /* the whole block: from the opening fence's line to */
	size_t block_len;     /* after the closing fence's line (or the end) */
};

/* Called for each block in order; return nonzero to stop the walk. */
typedef int ygg_code_block_cb(void *arg, const struct ygg_code_block *block);

/* reply_answer flags */
#define YGG_ANSWER_KEEP_THOUGHTS 0x1 /* store removed <think> text as artifact thinking.md */

/*
 * The functions yggd offers a plugin. The core fills every field; size comes first
 * so a plugin can tell which functions exist. Every function is called on the
 * daemon's event loop thread, from inside a plugin callback (init, fini,
 * build_request, handle_reply); none of them blocks.
 */
struct ygg_host_api {
	size_t size;          /* sizeof(struct ygg_host_api) in the daemon */
	uint32_t abi_version; /* YGG_PLUGIN_ABI_VERSION of the daemon */

	/*
	 * Log one line "plugin=NAME task=ID ..." at level (enum ygg_log_level).
	 * task may be NULL (from init and fini). fmt and arguments borrowed; line
	 * breaks in the message are turned into spaces (one line per event).
	 */
	void (*log)(const ygg_task *task, int level, const char *fmt, ...) YGG_PRINTF(3, 4);

	/*
	 * A field of the task: "id", "title", "description", "design",
	 * "acceptance_criteria", "notes", "issue_type", "priority", "type" (the
	 * detected task type), "handler" (the [handler.TYPE] section's type),
	 * "plugin", "host", "model", "attempt" (1 for the first try). Returns a
	 * borrowed NUL-terminated string valid until the callback returns, or NULL
	 * when the task has no such field (or it is empty).
	 */
	const char *(*task_get)(const ygg_task *task, const char *field);

	/*
	 * A key from the task's [handler.TYPE] section ("system_prompt", or any
	 * key the plugin documents). Borrowed, valid until the callback returns;
	 * NULL when unset.
	 */
	const char *(*task_config)(const ygg_task *task, const char *key);

	/*
	 * The standard user message (the mock host and tests rely on this shape):
	 *   "Task: <id>\nTitle: <title>\n\n<description>"
	 * then, each only when present, "\n\nDesign:\n<design>",
	 * "\n\nAcceptance criteria:\n<acceptance_criteria>", "\n\nNotes:\n<notes>".
	 * Texts are verbatim. Without a description the blank line and description
	 * are left out. Caller frees with api->free. Never NULL.
	 */
	char *(*task_prompt)(const ygg_task *task);

	/* Set (replace) the system prompt; text copied. 0, or -1 when text is NULL. */
	int (*request_set_system)(ygg_request *req, const char *text);

	/*
	 * Append a chat message; role is "system", "user" or "assistant", anything
	 * else is -1. Both copied. 0 on success.
	 */
	int (*request_add_message)(ygg_request *req, const char *role, const char *content);

	/*
	 * Set (or replace) a model option by name to a JSON value given as text
	 * ("0.2", "4096", "[\"\\n\\n\"]"). Known names are mapped to each API's
	 * spelling by the core: "temperature", "top_p", "max_tokens" (Ollama:
	 * num_predict), "stop", "seed". Other names pass through as they are.
	 * Both copied. -1 when name is empty or json_value is not one valid JSON value.
	 */
	int (*request_set_option)(ygg_request *req, const char *name, const char *json_value);

	/*
	 * The reply's assistant text exactly as received. Borrowed (valid until the
	 * callback returns), NUL-terminated, never NULL; *len (when not NULL) set to
	 * its length in bytes.
	 */
	const char *(*reply_text)(const ygg_reply *reply, size_t *len);

	/* Set (replace) the result's text: what goes in the comment and result.md. Copied. 0. */
	int (*result_set_text)(ygg_result *res, const char *text, size_t len);

	/*
	 * Add an artifact file, written by the core under artifacts_dir/<issue-id>/NAME
	 * off the event loop. NAME (name_len bytes, need not be NUL-terminated) is a
	 * relative path of plain components ("src/x.py"): absolute paths, "." and
	 * "..", empty components, components over 255 bytes, names over 1024 bytes or
	 * 16 levels, NUL bytes, control characters, backslashes and invalid UTF-8 are
	 * refused with -1, and so is "result.md" (the core writes that one) and a
	 * 1001st file; nothing is added then. Adding a name again replaces the
	 * earlier data. Both copied.
	 */
	int (*result_add_artifact)(ygg_result *res, const char *name, size_t name_len,
	    const char *data, size_t len);

	/*
	 * Declare the task failed for a reason a person can read (copied). The
	 * core blocks the task with this reason; handle_reply should then return -1.
	 */
	void (*result_fail)(ygg_result *res, const char *reason);

	/*
	 * Walk the fenced code blocks of text (CommonMark: ``` or ~~~, at least 3,
	 * up to 3 spaces of indent; a block closes at a fence of the same character
	 * at least as long; an unterminated block runs to the end). text borrowed;
	 * cb gets borrowed slices of it.
	 */
	void (*text_code_blocks)(const char *text, size_t len, ygg_code_block_cb *cb, void *arg);

	/*
	 * Split <think>...</think> sections (several allowed; tags matched without
	 * regard to case) out of text. *thoughts gets their contents joined by blank
	 * lines, *answer the rest with surrounding white space trimmed. An
	 * unterminated <think> runs to the end; a </think> with no opening tag ends a
	 * section that began at the start of the text (some servers drop the opening
	 * tag). Both are new NUL-terminated strings the caller frees with api->free
	 * (*thoughts is NULL when there were none). Returns 0.
	 */
	int (*text_split_think)(const char *text, size_t len, char **thoughts, char **answer);

	/*
	 * The length of the longest prefix of text no longer than max bytes that ends
	 * on a UTF-8 character boundary, preferring to end at a paragraph break, then
	 * a sentence end, then a space, when one lies in the last quarter of max.
	 * Returns len when len <= max. text borrowed.
	 */
	size_t (*text_cut)(const char *text, size_t len, size_t max);

	/* Release memory the host API handed to the plugin. NULL is fine. */
	void (*free)(void *ptr);

	/*
	 * The usual build_request in one call: the system prompt is
	 * task_config("system_prompt") when set, else default_system (borrowed; NULL
	 * for none), and one user message is added with task_prompt(task).
	 * 0, or -1 on bad input.
	 */
	int (*request_standard)(const ygg_task *task, ygg_request *req, const char *default_system);

	/*
	 * The reply's answer: its text with <think> sections removed (see
	 * text_split_think) and surrounding white space trimmed. With
	 * YGG_ANSWER_KEEP_THOUGHTS in flags the removed text is added to res as the
	 * artifact "thinking.md"; otherwise it is dropped. When nothing is left, res
	 * is failed ("the model returned an empty reply", or "... only <think>
	 * reasoning and no answer") and NULL is returned: handle_reply should return
	 * -1. Otherwise a new NUL-terminated string the caller frees with api->free,
	 * its length in *len (when not NULL).
	 */
	char *(*reply_answer)(const ygg_task *task, const ygg_reply *reply, ygg_result *res,
	    unsigned flags, size_t *len);

	/*
	 * Why result_add_artifact would refuse name (name_len bytes): a static
	 * string such as "\"..\" path component", or NULL when the name is fine.
	 */
	const char *(*artifact_name_problem)(const char *name, size_t name_len);
};

/* True when the daemon's table is new enough to hold member m. */
#define YGG_HOST_API_HAS(api, m) \
	((api)->size >= offsetof(struct ygg_host_api, m) + sizeof((api)->m))

/*
 * The descriptor each plugin exports as ygg_plugin_entry. Data first: the loader
 * reads all of it before it calls any function in it, and refuses the file (one
 * log line naming it and the reason) when abi_version differs from the daemon's,
 * size is smaller than this version-1 struct, name, version, types, init,
 * build_request or handle_reply is NULL or malformed, the name is already loaded
 * from another file, or a type is already served by another plugin. The
 * descriptor and everything it points to must stay valid while the plugin is
 * loaded (static const data is the intended shape).
 */
struct ygg_plugin {
	uint32_t abi_version; /* YGG_PLUGIN_ABI_VERSION the plugin was built with */
	uint32_t size;        /* sizeof(struct ygg_plugin) the plugin was built with */
	const char *name;     /* unique among loaded plugins: [a-z0-9_-]+, at most 64 bytes */
	const char *version;  /* the plugin's own version, printable text, required */
	const char *description; /* one line for listings; may be NULL */
	/*
	 * Task types served, NULL-terminated, at least one, each [a-z0-9-]+ (at most
	 * 64 bytes): one of the six in-tree types or a new one that a
	 * [handler.TYPE] section with plugin = NAME routes to.
	 */
	const char *const *types;

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
