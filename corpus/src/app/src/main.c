/* A clean file: identifiers that look like secrets but are not. */
#include <stdio.h>

static const char *key_prefix = "AKIA";      /* just a prefix */
static const char *sha = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

int main(void)
{
	printf("%s %s\n", key_prefix, sha);
	return 0;
}
