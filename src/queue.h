/* queue.h - a bounded, blocking, multi-producer multi-consumer queue.
 *
 * Ownership: an item pushed belongs to the queue until a pop hands it to the
 * popping thread. Items still queued at mp_queue_free are passed to the free
 * function given at creation.
 */
#ifndef MP_QUEUE_H
#define MP_QUEUE_H

#include <stddef.h>

struct mp_queue;

/* A queue holding at most capacity items (>= 1). NULL when out of memory. */
struct mp_queue *mp_queue_new(size_t capacity, void (*free_item)(void *));
/* Append item; blocks while the queue is full. A blocked producer is woken
 * once the queue has drained to half its capacity (not at every pop, which
 * would cost two context switches per item). Returns 0, or -1 when the
 * queue was closed (the item then still belongs to the caller). */
int mp_queue_push(struct mp_queue *q, void *item);
/* Remove the oldest item; blocks while empty and open. Returns NULL once
 * the queue is closed and drained. */
void *mp_queue_pop(struct mp_queue *q);
/* No more pushes. Wakes every waiting thread. Idempotent. */
void mp_queue_close(struct mp_queue *q);
/* Items currently queued (a snapshot). */
size_t mp_queue_len(struct mp_queue *q);
/* Frees remaining items and the queue. Accepts NULL. No thread may be using it. */
void mp_queue_free(struct mp_queue *q);

#endif
