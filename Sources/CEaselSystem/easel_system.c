#include "easel_system.h"
#include <malloc.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int easel_lower_thread_priority(int increment) {
#ifdef SYS_gettid
    // On Linux each thread has its own nice value: this lowers the calling thread's only.
    pid_t thread = (pid_t)syscall(SYS_gettid);
    int current = getpriority(PRIO_PROCESS, (id_t)thread);
    return setpriority(PRIO_PROCESS, (id_t)thread, current + increment) == 0 ? 1 : 0;
#else
    (void)increment;
    return 0;
#endif
}

int easel_limit_malloc_arenas(int arenas) {
#ifdef M_ARENA_MAX
    return mallopt(M_ARENA_MAX, arenas);
#else
    (void)arenas;
    return 0;
#endif
}

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

int easel_bcrypt_hash(const char *password, int cost, char *out, size_t out_length) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, salt, sizeof salt)) return -1;
    struct crypt_data *data = calloc(1, sizeof(struct crypt_data));
    if (!data) return -1;
    const char *hash = crypt_r(password, salt, data);
    int status = -1;
    if (hash && hash[0] == '$' && strlen(hash) < out_length) {
        strcpy(out, hash);
        status = 0;
    }
    explicit_bzero(data, sizeof(struct crypt_data));
    free(data);
    return status;
}

int easel_bcrypt_verify(const char *password, const char *hash) {
    if (strncmp(hash, "$2", 2) != 0) return -1;
    struct crypt_data *data = calloc(1, sizeof(struct crypt_data));
    if (!data) return -1;
    const char *computed = crypt_r(password, hash, data);
    int result = -1;
    if (computed && computed[0] == '$') {
        size_t n = strlen(hash);
        if (strlen(computed) == n) {
            unsigned char diff = 0;
            for (size_t i = 0; i < n; i++) diff |= (unsigned char)(computed[i] ^ hash[i]);
            result = diff == 0;
        } else {
            result = 0;
        }
    }
    explicit_bzero(data, sizeof(struct crypt_data));
    free(data);
    return result;
}
