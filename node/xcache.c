/* xcache.c: a hash table of expanded slivers with an LRU list and a byte budget (xcache.h). */
#include "node/xcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "node/encoder.h"

struct entry {
	struct node_xcache_key key;
	struct node_expanded *x;
	size_t bytes;
	uint64_t mark, checked_ms;
	struct entry *chain;       /* next in its bucket */
	struct entry *newer, *older; /* the LRU list */
};

struct node_xcache {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	struct entry *newest, *oldest;
	uint64_t entries, bytes, budget;
	uint64_t hits, misses, evictions;
};

static bool key_eq(const struct node_xcache_key *a, const struct node_xcache_key *b)
{
	return a->axis == b->axis && a->index == b->index &&
	       !memcmp(a->id, b->id, AUDIT_DIGEST_LEN);
}

static size_t key_hash(const struct node_xcache_key *k)
{
	/* Blob ids are hashes: their first bytes are uniform already. */
	uint64_t h;
	memcpy(&h, k->id, sizeof(h));
	h ^= ((uint64_t)k->index << 1 | (uint64_t)k->axis) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h ^ h >> 29);
}

struct node_xcache *node_xcache_new(uint64_t budget_bytes)
{
	struct node_xcache *c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->nbuckets = 256;
	c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
	c->budget = budget_bytes;
	return c;
}

static struct entry **slot_of(struct node_xcache *c, const struct node_xcache_key *k)
{
	struct entry **p = &c->buckets[key_hash(k) & (c->nbuckets - 1)];
	while (*p && !key_eq(&(*p)->key, k))
		p = &(*p)->chain;
	return p;
}

static void lru_unlink(struct node_xcache *c, struct entry *en)
{
	if (en->newer)
		en->newer->older = en->older;
	else
		c->newest = en->older;
	if (en->older)
		en->older->newer = en->newer;
	else
		c->oldest = en->newer;
	en->newer = en->older = NULL;
}

static void lru_push(struct node_xcache *c, struct entry *en)
{
	en->older = c->newest;
	en->newer = NULL;
	if (c->newest)
		c->newest->newer = en;
	else
		c->oldest = en;
	c->newest = en;
}

/* Unlinks and frees the entry *slot points at; the expansion lives on in its users. */
static void remove_at(struct node_xcache *c, struct entry **slot)
{
	struct entry *en = *slot;
	*slot = en->chain;
	lru_unlink(c, en);
	c->entries--;
	c->bytes -= en->bytes;
	node_expanded_free(en->x);
	free(en);
}

static void grow(struct node_xcache *c)
{
	size_t nb = c->nbuckets * 2;
	struct entry **b = xcalloc(nb, sizeof(*b));
	for (size_t i = 0; i < c->nbuckets; i++)
		for (struct entry *en = c->buckets[i], *next; en; en = next) {
			next = en->chain;
			size_t h = key_hash(&en->key) & (nb - 1);
			en->chain = b[h];
			b[h] = en;
		}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = nb;
}

struct node_expanded *node_xcache_get(struct node_xcache *c, const struct node_xcache_key *key,
				      uint64_t mark, uint64_t now_ms, uint64_t max_age_ms,
				      bool confirm)
{
	struct node_expanded *x = NULL;
	pthread_mutex_lock(&c->lock);
	struct entry *en = *slot_of(c, key);
	if (!en) {
		c->misses += confirm;
	} else if (confirm || (en->mark == mark && now_ms - en->checked_ms < max_age_ms)) {
		if (confirm) {
			en->mark = mark;
			en->checked_ms = now_ms;
		}
		lru_unlink(c, en);
		lru_push(c, en);
		c->hits++;
		x = node_expanded_ref(en->x);
	}
	pthread_mutex_unlock(&c->lock);
	return x;
}

static void put(struct node_xcache *c, const struct node_xcache_key *key,
		struct node_expanded *x, uint64_t mark, uint64_t now_ms, bool evict)
{
	size_t bytes = node_expanded_bytes(x) + sizeof(struct entry);
	pthread_mutex_lock(&c->lock);
	if (bytes > c->budget || (!evict && c->bytes + bytes > c->budget)) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	struct entry **slot = slot_of(c, key);
	if (*slot)
		remove_at(c, slot); /* another request expanded it meanwhile */
	while (c->bytes + bytes > c->budget && c->oldest) {
		remove_at(c, slot_of(c, &c->oldest->key));
		c->evictions++;
	}
	if (c->entries + 1 > c->nbuckets)
		grow(c);
	struct entry *en = xcalloc(1, sizeof(*en));
	en->key = *key;
	en->x = node_expanded_ref(x);
	en->bytes = bytes;
	en->mark = mark;
	en->checked_ms = now_ms;
	slot = slot_of(c, key);
	*slot = en;
	lru_push(c, en);
	c->entries++;
	c->bytes += bytes;
	pthread_mutex_unlock(&c->lock);
}

void node_xcache_put(struct node_xcache *c, const struct node_xcache_key *key,
		     struct node_expanded *x, uint64_t mark, uint64_t now_ms)
{
	put(c, key, x, mark, now_ms, true);
}

void node_xcache_offer(struct node_xcache *c, const struct node_xcache_key *key,
		       struct node_expanded *x, uint64_t mark, uint64_t now_ms)
{
	put(c, key, x, mark, now_ms, false);
}

void node_xcache_drop(struct node_xcache *c, const struct node_xcache_key *key)
{
	pthread_mutex_lock(&c->lock);
	struct entry **slot = slot_of(c, key);
	if (*slot)
		remove_at(c, slot);
	pthread_mutex_unlock(&c->lock);
}

void node_xcache_clear(struct node_xcache *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->oldest)
		remove_at(c, slot_of(c, &c->oldest->key));
	pthread_mutex_unlock(&c->lock);
}

void node_xcache_stats(struct node_xcache *c, struct node_xcache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = (struct node_xcache_stats){c->entries, c->bytes, c->budget,
					  c->hits, c->misses, c->evictions};
	pthread_mutex_unlock(&c->lock);
}

void node_xcache_free(struct node_xcache *c)
{
	if (!c)
		return;
	node_xcache_clear(c);
	pthread_mutex_destroy(&c->lock);
	free(c->buckets);
	free(c);
}
