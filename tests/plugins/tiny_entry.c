/* tiny_entry.c - ygg_plugin_entry is a 4-byte object: too small to be read as a descriptor. */
#include <stdint.h>

#include "ygg/plugin.h"

YGG_EXPORT const uint32_t ygg_plugin_entry = YGG_PLUGIN_ABI_VERSION;
