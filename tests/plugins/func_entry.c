/* func_entry.c - ygg_plugin_entry is a function, not a descriptor: refused unread. */
#include "ygg/plugin.h"

YGG_EXPORT int ygg_plugin_entry(void);

int
ygg_plugin_entry(void)
{
	return 1;
}
