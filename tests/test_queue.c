/* test_queue.c - the bounded blocking queue. */
#include "mp_config.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "queue.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *tag(uintptr_t v)
{
	return (void *)(v + 1);  /* never NULL */
}

static uintptr_t untag(void *p)
{
	return (uintptr_t)p - 1;
}

Test(queue, zero_capacity_refused)
{
	cr_assert_null(mp_queue_new(0, NULL));
}

Test(queue, fifo_order)
{
	struct mp_queue *q = mp_queue_new(16, NULL);

	cr_assert_not_null(q);
	for (uintptr_t i = 0; i < 10; i++)
		cr_assert_eq(mp_queue_push(q, tag(i)), 0);
	cr_assert_eq(mp_queue_len(q), 10);
	for (uintptr_t i = 0; i < 10; i++)
		cr_assert_eq(untag(mp_queue_pop(q)), i);
	cr_assert_eq(mp_queue_len(q), 0);
	mp_queue_free(q);
}

Test(queue, fifo_order_across_wraparound)
{
	struct mp_queue *q = mp_queue_new(3, NULL);
	uintptr_t next_in = 0, next_out = 0;

	cr_assert_not_null(q);
	/* Keep the ring partly full while its head travels round many times. */
	for (int round = 0; round < 50; round++) {
		while (mp_queue_len(q) < 3)
			cr_assert_eq(mp_queue_push(q, tag(next_in++)), 0);
		for (int k = 0; k < 2; k++)
			cr_assert_eq(untag(mp_queue_pop(q)), next_out++);
	}
	while (next_out < next_in)
		cr_assert_eq(untag(mp_queue_pop(q)), next_out++);
	mp_queue_free(q);
}

struct pusher {
	struct mp_queue *q;
	void *item;
	atomic_int done;
	int rc;
};

static void *push_thread(void *arg)
{
	struct pusher *p = arg;

	p->rc = mp_queue_push(p->q, p->item);
	atomic_store(&p->done, 1);
	return NULL;
}

Test(queue, push_blocks_when_full_until_pop, .timeout = 20)
{
	struct mp_queue *q = mp_queue_new(2, NULL);
	struct pusher p = {.q = q, .item = tag(2), .rc = -7};
	pthread_t t;

	cr_assert_eq(mp_queue_push(q, tag(0)), 0);
	cr_assert_eq(mp_queue_push(q, tag(1)), 0);
	atomic_init(&p.done, 0);
	cr_assert_eq(pthread_create(&t, NULL, push_thread, &p), 0);
	sleep_ms(150);
	cr_assert_eq(atomic_load(&p.done), 0, "push into a full queue returned without a pop");
	cr_assert_eq(mp_queue_len(q), 2);
	cr_assert_eq(untag(mp_queue_pop(q)), 0);
	pthread_join(t, NULL);
	cr_assert_eq(atomic_load(&p.done), 1);
	cr_assert_eq(p.rc, 0);
	cr_assert_eq(untag(mp_queue_pop(q)), 1);
	cr_assert_eq(untag(mp_queue_pop(q)), 2);
	mp_queue_free(q);
}

struct popper {
	struct mp_queue *q;
	void *got;
	atomic_int done;
};

static void *pop_thread(void *arg)
{
	struct popper *p = arg;

	p->got = mp_queue_pop(p->q);
	atomic_store(&p->done, 1);
	return NULL;
}

Test(queue, blocked_push_waits_for_half_the_queue, .timeout = 20)
{
	struct mp_queue *q = mp_queue_new(4, NULL);
	struct pusher p = {.q = q, .item = tag(4), .rc = -7};
	pthread_t t;

	for (int i = 0; i < 4; i++)
		cr_assert_eq(mp_queue_push(q, tag(i)), 0);
	atomic_init(&p.done, 0);
	cr_assert_eq(pthread_create(&t, NULL, push_thread, &p), 0);
	sleep_ms(150);
	cr_assert_eq(untag(mp_queue_pop(q)), 0);
	sleep_ms(150);
	cr_assert_eq(atomic_load(&p.done), 0, "woken with the queue still 3/4 full");
	cr_assert_eq(untag(mp_queue_pop(q)), 1);
	pthread_join(t, NULL);
	cr_assert_eq(p.rc, 0);
	for (int i = 2; i <= 4; i++)
		cr_assert_eq(untag(mp_queue_pop(q)), i);
	mp_queue_free(q);
}

Test(queue, pop_blocks_while_empty_until_push, .timeout = 20)
{
	struct mp_queue *q = mp_queue_new(4, NULL);
	struct popper p = {.q = q, .got = NULL};
	pthread_t t;

	atomic_init(&p.done, 0);
	cr_assert_eq(pthread_create(&t, NULL, pop_thread, &p), 0);
	sleep_ms(150);
	cr_assert_eq(atomic_load(&p.done), 0, "pop on an empty open queue returned");
	cr_assert_eq(mp_queue_push(q, tag(41)), 0);
	pthread_join(t, NULL);
	cr_assert_eq(untag(p.got), 41);
	mp_queue_free(q);
}

Test(queue, close_wakes_blocked_pop, .timeout = 20)
{
	struct mp_queue *q = mp_queue_new(4, NULL);
	struct popper p[3];
	pthread_t t[3];

	for (int i = 0; i < 3; i++) {
		p[i].q = q;
		p[i].got = tag(99);
		atomic_init(&p[i].done, 0);
		cr_assert_eq(pthread_create(&t[i], NULL, pop_thread, &p[i]), 0);
	}
	sleep_ms(150);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(atomic_load(&p[i].done), 0);
	mp_queue_close(q);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		cr_assert_null(p[i].got, "pop after close on an empty queue must return NULL");
	}
	mp_queue_free(q);
}

Test(queue, close_wakes_blocked_push, .timeout = 20)
{
	struct mp_queue *q = mp_queue_new(1, NULL);
	struct pusher p = {.q = q, .item = tag(5), .rc = 7};
	pthread_t t;

	cr_assert_eq(mp_queue_push(q, tag(4)), 0);
	atomic_init(&p.done, 0);
	cr_assert_eq(pthread_create(&t, NULL, push_thread, &p), 0);
	sleep_ms(150);
	cr_assert_eq(atomic_load(&p.done), 0);
	mp_queue_close(q);
	pthread_join(t, NULL);
	cr_assert_eq(p.rc, -1, "a push woken by close must fail");
	cr_assert_eq(mp_queue_len(q), 1);
	mp_queue_free(q);
}

Test(queue, closed_queue_drains_then_returns_null)
{
	struct mp_queue *q = mp_queue_new(4, NULL);

	cr_assert_eq(mp_queue_push(q, tag(1)), 0);
	cr_assert_eq(mp_queue_push(q, tag(2)), 0);
	mp_queue_close(q);
	mp_queue_close(q);  /* idempotent */
	cr_assert_eq(mp_queue_push(q, tag(3)), -1);
	cr_assert_eq(untag(mp_queue_pop(q)), 1);
	cr_assert_eq(untag(mp_queue_pop(q)), 2);
	cr_assert_null(mp_queue_pop(q));
	cr_assert_null(mp_queue_pop(q));
	mp_queue_free(q);
}

static atomic_int freed_count;
static atomic_uintptr_t freed_sum;

static void count_free(void *p)
{
	atomic_fetch_add(&freed_count, 1);
	atomic_fetch_add(&freed_sum, untag(p));
}

Test(queue, free_passes_leftovers_to_free_function)
{
	struct mp_queue *q = mp_queue_new(8, count_free);

	atomic_store(&freed_count, 0);
	atomic_store(&freed_sum, 0);
	for (uintptr_t i = 1; i <= 6; i++)
		cr_assert_eq(mp_queue_push(q, tag(i)), 0);
	cr_assert_eq(untag(mp_queue_pop(q)), 1);
	cr_assert_eq(untag(mp_queue_pop(q)), 2);
	mp_queue_close(q);
	cr_assert_eq(atomic_load(&freed_count), 0, "nothing is freed before mp_queue_free");
	mp_queue_free(q);
	cr_assert_eq(atomic_load(&freed_count), 4);
	cr_assert_eq(atomic_load(&freed_sum), 3 + 4 + 5 + 6);
}

Test(queue, free_accepts_null_and_no_free_function)
{
	struct mp_queue *q = mp_queue_new(2, NULL);

	mp_queue_free(NULL);
	cr_assert_eq(mp_queue_push(q, tag(1)), 0);
	mp_queue_free(q);  /* leftovers with no free function: must not crash */
}

/* ---- many producers and consumers ---- */

#define MPMC_PRODUCERS 4
#define MPMC_CONSUMERS 4
#define MPMC_PER_PRODUCER 20000
#define MPMC_TOTAL (MPMC_PRODUCERS * MPMC_PER_PRODUCER)

struct mpmc {
	struct mp_queue *q;
	atomic_uchar seen[MPMC_TOTAL];
	atomic_int popped;
	atomic_int dup;
	atomic_int order_violations;
};

struct prod_arg {
	struct mpmc *m;
	int id;
};

static void *producer(void *arg)
{
	struct prod_arg *a = arg;

	for (int i = 0; i < MPMC_PER_PRODUCER; i++) {
		uintptr_t v = (uintptr_t)a->id * MPMC_PER_PRODUCER + (uintptr_t)i;
		if (mp_queue_push(a->m->q, tag(v)) != 0)
			return (void *)1;
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct mpmc *m = arg;
	long last[MPMC_PRODUCERS];
	void *p;

	for (int i = 0; i < MPMC_PRODUCERS; i++)
		last[i] = -1;
	while ((p = mp_queue_pop(m->q)) != NULL) {
		uintptr_t v = untag(p);
		if (v >= MPMC_TOTAL) {
			atomic_fetch_add(&m->dup, 1);
			continue;
		}
		if (atomic_fetch_add(&m->seen[v], 1) != 0)
			atomic_fetch_add(&m->dup, 1);
		/* One consumer sees each producer's items in the order pushed. */
		int prod = (int)(v / MPMC_PER_PRODUCER);
		long seq = (long)(v % MPMC_PER_PRODUCER);
		if (seq <= last[prod])
			atomic_fetch_add(&m->order_violations, 1);
		last[prod] = seq;
		atomic_fetch_add(&m->popped, 1);
	}
	return NULL;
}

Test(queue, many_producers_and_consumers_pass_each_item_once, .timeout = 60)
{
	struct mpmc *m = calloc(1, sizeof *m);
	pthread_t pt[MPMC_PRODUCERS], ct[MPMC_CONSUMERS];
	struct prod_arg pa[MPMC_PRODUCERS];

	cr_assert_not_null(m);
	m->q = mp_queue_new(7, NULL);  /* small, so both sides block often */
	cr_assert_not_null(m->q);
	for (int i = 0; i < MPMC_CONSUMERS; i++)
		cr_assert_eq(pthread_create(&ct[i], NULL, consumer, m), 0);
	for (int i = 0; i < MPMC_PRODUCERS; i++) {
		pa[i].m = m;
		pa[i].id = i;
		cr_assert_eq(pthread_create(&pt[i], NULL, producer, &pa[i]), 0);
	}
	for (int i = 0; i < MPMC_PRODUCERS; i++) {
		void *rv;
		pthread_join(pt[i], &rv);
		cr_assert_null(rv, "a push failed on an open queue");
	}
	mp_queue_close(m->q);
	for (int i = 0; i < MPMC_CONSUMERS; i++)
		pthread_join(ct[i], NULL);
	cr_assert_eq(atomic_load(&m->popped), MPMC_TOTAL);
	cr_assert_eq(atomic_load(&m->dup), 0);
	cr_assert_eq(atomic_load(&m->order_violations), 0);
	for (int i = 0; i < MPMC_TOTAL; i++)
		cr_assert_eq(atomic_load(&m->seen[i]), 1, "item %d seen %d times", i, (int)atomic_load(&m->seen[i]));
	cr_assert_eq(mp_queue_len(m->q), 0);
	mp_queue_free(m->q);
	free(m);
}
