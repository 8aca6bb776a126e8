/*
 * check_main.c - the main() every Check suite shares. Each tests/check_<m>.c is
 * linked with this file and compiled with -DYGG_SUITE=<m>_suite.
 */
#include <check.h>
#include <stdlib.h>

Suite *YGG_SUITE(void);

int
main(void)
{
	SRunner *sr = srunner_create(YGG_SUITE());
	int failed;

	/* Forking stays on (CK_FORK from the environment or the default) so a crash fails one test. */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
