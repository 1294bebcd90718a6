/*
 * Test-only driver (not part of the product): runs the helper's three decoders, built from the
 * same native/ sources, on many command lines read from stdin, and says which it accepts.
 * The TS fuzzer (src/fuzz/cli.ts) checks with it that every spec the CLI parsers accept and
 * encode is accepted by the helper too, without creating a namespace.
 *
 * Input, per command line: "<count>\n", then per argv element after argv[0] "<length>\n<bytes>".
 * Output, per command line: "ok\n" or "bad\t<record>\n" (the record with '\n' and '\\' escaped).
 * The decoder is chosen by the version tag, as native/main.c does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enter.h"
#include "enter_spec.h"
#include "nsinfo.h"
#include "nsinfo_spec.h"
#include "spec.h"

static char *read_record(size_t *len_out)
{
	unsigned long len;
	char *s;

	if (scanf("%lu", &len) != 1 || getchar() != '\n')
		return NULL;
	s = malloc(len + 1);
	if (!s || fread(s, 1, len, stdin) != len)
		exit(2);
	s[len] = '\0';
	*len_out = len;
	return s;
}

static const char *decode(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], ENTER_VERSION_TAG) == 0) {
		struct enter_spec es;

		return enter_spec_parse(&es, argc, argv);
	}
	if (argc >= 2 && strcmp(argv[1], NSINFO_VERSION_TAG) == 0) {
		struct nsinfo_spec ns;

		return nsinfo_spec_parse(&ns, argc, argv);
	}
	{
		struct spec s;
		const char *bad = spec_parse(&s, argc, argv);

		free(s.uidmap.ranges);
		free(s.gidmap.ranges);
		free(s.binds);
		return bad;
	}
}

int main(void)
{
	unsigned long count;

	while (scanf("%lu", &count) == 1 && getchar() == '\n') {
		char **argv = calloc(count + 2, sizeof(char *));
		const char *bad;
		size_t len;

		if (!argv)
			return 2;
		argv[0] = strdup("nsbox-helper");
		for (unsigned long i = 0; i < count; i++)
			if (!(argv[i + 1] = read_record(&len)))
				return 2;
		bad = decode((int)count + 1, argv);
		if (!bad) {
			fputs("ok\n", stdout);
		} else {
			fputs("bad\t", stdout);
			for (const char *p = bad; *p; p++) {
				if (*p == '\n')
					fputs("\\n", stdout);
				else if (*p == '\\')
					fputs("\\\\", stdout);
				else
					putchar(*p);
			}
			putchar('\n');
		}
		fflush(stdout);
		for (unsigned long i = 0; i <= count; i++)
			free(argv[i]);
		free(argv);
	}
	return 0;
}
