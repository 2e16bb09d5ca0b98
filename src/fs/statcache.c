// SPDX-License-Identifier: MIT
/* The kept attributes of a cached open (statcache.h). */
#include "fs/statcache.h"

int fs_sc_init(struct fs_statcache *s)
{
	*s = (struct fs_statcache){0};
	return pthread_mutex_init(&s->lock, NULL) ? -1 : 0;
}

void fs_sc_destroy(struct fs_statcache *s)
{
	pthread_mutex_destroy(&s->lock);
}

void fs_sc_forget(struct fs_statcache *s, bool changed)
{
	pthread_mutex_lock(&s->lock);
	s->gen++;
	s->ok = false;
	if (changed)
		s->changed = true;
	pthread_mutex_unlock(&s->lock);
}

bool fs_sc_begin(struct fs_statcache *s, unsigned *token)
{
	bool may;

	pthread_mutex_lock(&s->lock);
	*token = s->gen;
	may = !s->changed;
	pthread_mutex_unlock(&s->lock);
	return may;
}

void fs_sc_keep(struct fs_statcache *s, unsigned token,
		const struct smbiov_stat *st, uint64_t epoch)
{
	pthread_mutex_lock(&s->lock);
	if (!s->changed && s->gen == token) {
		s->st = *st;
		s->epoch = epoch;
		s->ok = true;
	}
	pthread_mutex_unlock(&s->lock);
}

bool fs_sc_get(struct fs_statcache *s, struct smbiov_stat *st, uint64_t epoch)
{
	bool ok;

	pthread_mutex_lock(&s->lock);
	ok = s->ok && s->epoch == epoch;
	if (ok)
		*st = s->st;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

bool fs_sc_changed(struct fs_statcache *s)
{
	bool changed;

	pthread_mutex_lock(&s->lock);
	changed = s->changed;
	pthread_mutex_unlock(&s->lock);
	return changed;
}
