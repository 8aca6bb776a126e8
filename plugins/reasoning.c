/*
 * reasoning.c - analysis, planning and comparisons. Asks the model to reason
 * before it answers; <think> sections (deepseek-r1, qwq, qwen3...) are kept out
 * of the result text and stored as the artifact thinking.md.
 *
 * Keys it reads from [handler.reasoning]: system_prompt.
 */

#define REASONING_SYSTEM                                                                             \
	"You are a careful analyst. Think the problem through step by step before you answer: "      \
	"state your assumptions, weigh the alternatives and check your reasoning. Then give a clear " \
	"conclusion, followed by the reasoning that supports it, in Markdown."

#define PROMPT_PLUGIN_NAME "reasoning"
#define PROMPT_PLUGIN_DESCRIPTION "analysis and planning; <think> text goes to thinking.md"
#define PROMPT_PLUGIN_SYSTEM REASONING_SYSTEM
#define PROMPT_PLUGIN_ANSWER_FLAGS YGG_ANSWER_KEEP_THOUGHTS
#include "prompt_plugin.h"
