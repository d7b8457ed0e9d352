/* libFuzzer target: the gate's head check (frame_check_head) on any bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_info info;
	char why[160];
	if (frame_check_head((const char *)data, size, &info, why, sizeof why) == 0) {
		/* A passed head has exactly one way to frame its body. */
		if (info.chunked && info.has_length)
			abort();
	} else if (!why[0]) {
		abort();	/* every refusal says why */
	}
	return 0;
}
