// Process-level tuning that Swift's Glibc module does not expose.
#ifndef EASEL_SYSTEM_H
#define EASEL_SYSTEM_H

/// Caps glibc's malloc arenas (mallopt M_ARENA_MAX). Returns 1 on success.
int easel_limit_malloc_arenas(int arenas);

#endif
