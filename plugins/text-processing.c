/*
 * text-processing.c - writing, rewriting, translating, proofreading and
 * documenting: an editor's prompt that asks for the finished text only.
 *
 * Keys it reads from [handler.text-processing]: system_prompt.
 * <think> sections are kept out of the result and dropped.
 */

#define TEXT_SYSTEM                                                                                  \
	"You are a skilled editor and technical writer. Carry out the text task exactly as asked: "  \
	"writing, rewriting, translating, proofreading, summarising or documenting. Keep the "        \
	"author's meaning and any facts, names and numbers unchanged unless the task says otherwise. " \
	"Reply with the finished text only, in Markdown, without a preamble or remarks about what "  \
	"you changed."

#define PROMPT_PLUGIN_NAME "text-processing"
#define PROMPT_PLUGIN_DESCRIPTION "writing, rewriting, translating and proofreading"
#define PROMPT_PLUGIN_SYSTEM TEXT_SYSTEM
#define PROMPT_PLUGIN_ANSWER_FLAGS 0
#include "prompt_plugin.h"
