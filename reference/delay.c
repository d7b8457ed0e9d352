/* Deadline-ordered timer thread (one list, one mutex, one condition variable). */
#include "delay.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct node {
	struct node *next;
	struct timespec due;
	void *item;
};

struct delay {
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* the list head changed or we stop */
	pthread_cond_t idle;	/* the list became empty */
	pthread_t thread;
	struct node *head;	/* sorted by due */
	int stopping;
	int flush;		/* fire everything now */
	void (*fire)(void *item);
};

static int before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *run(void *arg)
{
	struct delay *d = arg;
	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		if (!d->head) {
			pthread_cond_broadcast(&d->idle);
			pthread_cond_wait(&d->wake, &d->lock);
			continue;
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!d->flush && before(&now, &d->head->due)) {
			pthread_cond_timedwait(&d->wake, &d->lock, &d->head->due);
			continue;
		}
		struct node *n = d->head;
		d->head = n->next;
		pthread_mutex_unlock(&d->lock);
		d->fire(n->item);
		free(n);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct delay *delay_new(void (*fire)(void *item), char *err, size_t errlen)
{
	struct delay *d = calloc(1, sizeof *d);
	pthread_condattr_t attr;
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->fire = fire;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);	/* deadlines are monotonic */
	pthread_cond_init(&d->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&d->idle, NULL);
	if (pthread_create(&d->thread, NULL, run, d)) {
		snprintf(err, errlen, "cannot start the timer thread");
		pthread_cond_destroy(&d->wake);
		pthread_cond_destroy(&d->idle);
		pthread_mutex_destroy(&d->lock);
		free(d);
		return NULL;
	}
	return d;
}

int delay_add(struct delay *d, void *item, unsigned ms)
{
	struct node *n = calloc(1, sizeof *n);
	if (!n)
		return -1;
	n->item = item;
	clock_gettime(CLOCK_MONOTONIC, &n->due);
	n->due.tv_sec += ms / 1000;
	n->due.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (n->due.tv_nsec >= 1000000000L) {
		n->due.tv_sec++;
		n->due.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->lock);
	struct node **p = &d->head;
	while (*p && !before(&n->due, &(*p)->due))
		p = &(*p)->next;
	n->next = *p;
	*p = n;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void delay_drain(struct delay *d, unsigned timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000 + 1;
	pthread_mutex_lock(&d->lock);
	while (d->head && pthread_cond_timedwait(&d->idle, &d->lock, &until) == 0)
		;
	if (d->head) {
		d->flush = 1;
		pthread_cond_signal(&d->wake);
		while (d->head)
			pthread_cond_wait(&d->idle, &d->lock);
		d->flush = 0;
	}
	pthread_mutex_unlock(&d->lock);
}

void delay_free(struct delay *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	while (d->head) {
		struct node *n = d->head;
		d->head = n->next;
		free(n);
	}
	pthread_cond_destroy(&d->wake);
	pthread_cond_destroy(&d->idle);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
