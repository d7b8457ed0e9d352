/* libFuzzer target: the framing of a request stream (frame_next), chunked
 * bodies first: the input follows a chunked head, and is framed once whole
 * and once split where its first byte says; both must agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

static const char head[] = "POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

struct outcome {
	int completed, bad;
	size_t passed;
};

/* Frames stream[0..len) fed in two pieces, cut at cut. */
static struct outcome run(struct frame *f, const char *stream, size_t len, size_t cut)
{
	struct outcome o = {0};
	frame_init(f);
	size_t pieces[2][2] = {{0, cut}, {cut, len}};
	for (int k = 0; k < 2 && !o.bad; k++) {
		const char *p = stream + pieces[k][0];
		size_t n = pieces[k][1] - pieces[k][0];
		for (;;) {
			size_t used = 0;
			enum frame_event ev = frame_next(f, p, n, &used);
			if (used > n)
				abort();
			if (ev == FRAME_MORE)
				break;
			if (ev == FRAME_BAD) {
				o.bad = 1;
				break;
			}
			if (ev == FRAME_HEAD) {
				if (f->head_len > FRAME_MAX_HEAD)
					abort();
				o.passed += f->head_len;
			} else {
				o.passed += used;
				o.completed += ev == FRAME_END;
			}
			p += used;
			n -= used;
			if (ev == FRAME_BODY && !n)
				break;
		}
	}
	if (o.passed > len)
		abort();	/* nothing is passed on that was not sent */
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frame f;
	char *stream = malloc(sizeof head - 1 + size);
	if (!stream)
		return 0;
	memcpy(stream, head, sizeof head - 1);
	memcpy(stream + sizeof head - 1, data, size);
	size_t len = sizeof head - 1 + size;
	size_t cut = size ? (size_t)data[0] * len / 256 : 0;
	struct outcome whole = run(&f, stream, len, len), split = run(&f, stream, len, cut);
	if (whole.completed != split.completed || whole.bad != split.bad ||
	    (!whole.bad && whole.passed != split.passed))
		abort();	/* framing depends on how the bytes arrive */
	free(stream);
	return 0;
}
