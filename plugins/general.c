/*
 * general.c - the catch-all handler (normally the [handler.general] default =
 * yes): a plain assistant prompt, the reply's answer as the result.
 *
 * Keys it reads from [handler.general]: system_prompt.
 * <think> sections (reasoning models) are kept out of the result and dropped.
 */

#define GENERAL_SYSTEM                                                                          \
	"You are a capable, careful assistant working through tasks from an issue tracker. "    \
	"Do what the task asks, directly and completely. Answer in Markdown. If something is " \
	"unclear or cannot be done, say so plainly and explain what is missing."

#define PROMPT_PLUGIN_NAME "general"
#define PROMPT_PLUGIN_DESCRIPTION "general assistant: the answer becomes the result"
#define PROMPT_PLUGIN_SYSTEM GENERAL_SYSTEM
#define PROMPT_PLUGIN_ANSWER_FLAGS 0
#include "prompt_plugin.h"
