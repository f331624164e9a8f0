// Process-level tuning that Swift's Glibc module does not expose.
#ifndef EASEL_SYSTEM_H
#define EASEL_SYSTEM_H

/// Caps glibc's malloc arenas (mallopt M_ARENA_MAX). Returns 1 on success.
int easel_limit_malloc_arenas(int arenas);

/// Lowers the calling thread's scheduling priority by `increment` nice levels (background work). 1 on success.
int easel_lower_thread_priority(int increment);


#include <stddef.h>

/// bcrypt ($2b$) through libxcrypt: writes the hash of `password` at `cost` into `out` (at least 64
/// bytes). Returns 0 on success.
int easel_bcrypt_hash(const char *password, int cost, char *out, size_t out_length);

/// 1 when `password` matches the bcrypt `hash`, 0 when not, -1 on a malformed hash. Compares in constant time.
int easel_bcrypt_verify(const char *password, const char *hash);

#endif
