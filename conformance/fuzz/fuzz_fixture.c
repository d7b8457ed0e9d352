/* libFuzzer target: the runner's fixture loader (fixture_load_file) on any
 * file contents, read through a memory file. */
#define _GNU_SOURCE	/* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		if ((fd = memfd_create("fixture.json", 0)) < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct fixture_set set = {0};
	struct fixture_errors errs = {0};
	int r = fixture_load_file(&set, path, NULL, &errs);
	if (r < 0 && !errs.n)
		abort();	/* a refusal says what the problems are */
	fixture_set_free(&set);
	fixture_errors_free(&errs);
	return 0;
}
