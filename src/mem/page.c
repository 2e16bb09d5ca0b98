// SPDX-License-Identifier: MIT
/*
 * Single pages of library memory.
 *
 * Every page is its own private anonymous mapping: zero-filled by the
 * kernel, page aligned by construction, and copy-on-write across fork() so
 * a child can never see or disturb the parent's in-flight buffers
 * (DESIGN.md §2 "Fork"). MAP_SHARED would defeat exactly that.
 */
#include <smbiov/mem.h>

#include <sys/mman.h>

void *smbiov_page_alloc(void)
{
	void *p;

	p = mmap(NULL, SMBIOV_PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	return p;
}

void smbiov_page_free(void *page)
{
	if (!page)
		return;
	munmap(page, SMBIOV_PAGE_SIZE);
}
