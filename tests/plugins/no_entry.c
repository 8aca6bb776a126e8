/* no_entry.c - a shared object with no ygg_plugin_entry: not a yggd plugin. */
#include "ygg/plugin.h"

YGG_EXPORT int not_a_plugin(void);

int
not_a_plugin(void)
{
	return 42;
}
