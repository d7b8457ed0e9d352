/* A timer thread that fires callbacks at deadlines. The server uses it to
 * answer `sleep` calls late without holding a pool thread: the connection is
 * suspended and resumed from here when its time has come. */
#ifndef AFI_DELAY_H
#define AFI_DELAY_H

#include <stddef.h>

struct delay;

/* Starts the timer thread; fire(item) runs on it for each due item.
 * Returns NULL with err filled on failure; free with delay_free. */
struct delay *delay_new(void (*fire)(void *item), char *err, size_t errlen);

/* Schedules fire(item) in ms milliseconds. Returns 0, or -1 when out of memory. */
int delay_add(struct delay *d, void *item, unsigned ms);

/* Waits until every scheduled item has fired or timeout_ms passed, then fires
 * whatever is left at once. Used at shutdown so in-flight sleeps finish. */
void delay_drain(struct delay *d, unsigned timeout_ms);

/* Stops the thread; items still scheduled are dropped unfired. Accepts NULL. */
void delay_free(struct delay *d);

#endif
