/* good_v2.c - the same plugin as good.c at version 2.0.0, for replacement tests. */
#define GOOD_VERSION "2.0.0"
#include "good.c"
