// A PNG decoder for thumbnails: libdeflate inflates the whole image data in one call (about 2.3 times faster
// than zlib's streaming inflate, which libvips' libpng loader uses), and rows are unfiltered and box-averaged
// by an integer factor as they go, so the full-size image is never held. Only the common case is handled
// (8 bits per sample, grey/RGB with or without alpha, not interlaced, no palette, transparency key or ICC
// profile); the rest is left to libvips. Input is untrusted: every length is checked before it is used.
#include "cvips.h"
#include <libdeflate.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t png_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int png_fail(const char *message) {
    vips_error("easel_png", "%s", message);
    return -1;
}

// Sub, Average and Paeth each depend on the pixel to the left, so a row is a chain of additions. The chain
// moves a whole 3- or 4-byte pixel per step here rather than a byte (SSE2 lanes on x86-64, a 32-bit word
// elsewhere), making it three to four times shorter. Lanes never carry into each other, so the 4th byte of a
// 3-byte step (the next pixel's) is computed, stored, and overwritten by the next step. Words are read
// little-endian.
#if defined(__SSE2__)
#include <emmintrin.h>
typedef __m128i pixel_word;
static inline pixel_word word_load(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm_cvtsi32_si128(v);
}
static inline void word_store(uint8_t *p, pixel_word w) {
    int32_t v = _mm_cvtsi128_si32(w);
    memcpy(p, &v, 4);
}
static inline pixel_word word_add(pixel_word a, pixel_word b) { return _mm_add_epi8(a, b); }
static inline pixel_word word_floor_mean(pixel_word a, pixel_word b) {
    // pavgb rounds up; taking off the low bit of a ^ b makes it round down.
    return _mm_sub_epi8(_mm_avg_epu8(a, b), _mm_and_si128(_mm_xor_si128(a, b), _mm_set1_epi8(1)));
}
static inline pixel_word word_paeth(pixel_word a8, pixel_word b8, pixel_word c8) {
    __m128i zero = _mm_setzero_si128();
    __m128i a = _mm_unpacklo_epi8(a8, zero), b = _mm_unpacklo_epi8(b8, zero), c = _mm_unpacklo_epi8(c8, zero);
    __m128i pa = _mm_sub_epi16(b, c), pb = _mm_sub_epi16(a, c);
    __m128i pc = _mm_add_epi16(pa, pb);
    pa = _mm_max_epi16(pa, _mm_sub_epi16(zero, pa));
    pb = _mm_max_epi16(pb, _mm_sub_epi16(zero, pb));
    pc = _mm_max_epi16(pc, _mm_sub_epi16(zero, pc));
    __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
    __m128i pick_a = _mm_cmpeq_epi16(pa, smallest);
    __m128i pick_b = _mm_andnot_si128(pick_a, _mm_cmpeq_epi16(pb, smallest));
    __m128i pick_c = _mm_andnot_si128(_mm_or_si128(pick_a, pick_b), _mm_set1_epi16(-1));
    __m128i chosen = _mm_or_si128(_mm_or_si128(_mm_and_si128(pick_a, a), _mm_and_si128(pick_b, b)), _mm_and_si128(pick_c, c));
    return _mm_packus_epi16(chosen, zero);
}
#else
typedef uint32_t pixel_word;
static inline pixel_word word_load(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline void word_store(uint8_t *p, pixel_word w) { memcpy(p, &w, 4); }
static inline pixel_word word_add(pixel_word a, pixel_word b) {
    return ((a & 0x7f7f7f7fu) + (b & 0x7f7f7f7fu)) ^ ((a ^ b) & 0x80808080u);
}
static inline pixel_word word_floor_mean(pixel_word a, pixel_word b) { return (a & b) + (((a ^ b) & 0xfefefefeu) >> 1); }
static inline pixel_word word_paeth(pixel_word a, pixel_word b, pixel_word c) {
    pixel_word out = 0;
    for (int lane = 0; lane < 32; lane += 8) {
        int x = (a >> lane) & 0xff, y = (b >> lane) & 0xff, z = (c >> lane) & 0xff;
        int pa = abs(y - z), pb = abs(x - z), pc = abs(x + y - 2 * z);
        out |= (uint32_t)((pa <= pb && pa <= pc) ? x : (pb <= pc ? y : z)) << lane;
    }
    return out;
}
#endif

static inline uint8_t paeth_byte(int a, int b, int c) {
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    return (uint8_t)((pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c));
}

// filter 1, 3 or 4 a pixel at a time while four bytes can be read, then byte by byte for the rest of the row.
// The pixel left of the first is zero, as is the one above-left. Always inlined, so each (filter, bpp) call
// below gets its own loop with both fixed.
static inline __attribute__((always_inline)) void unfilter_chained(int filter, const uint8_t *restrict src, const uint8_t *restrict prev, uint8_t *restrict dst,
    size_t n, size_t bpp) {
    size_t i = 0;
    if (bpp == 3 || bpp == 4) {
        pixel_word left = word_load((const uint8_t[4]){0, 0, 0, 0}), above_left = left;
        for (; i + 4 <= n; i += bpp) {
            pixel_word current = word_load(src + i);
            if (filter == 1) {
                left = word_add(current, left);
            } else {
                pixel_word above = word_load(prev + i);
                left = word_add(current, filter == 3 ? word_floor_mean(left, above) : word_paeth(left, above, above_left));
                above_left = above;
            }
            word_store(dst + i, left);
        }
    }
    for (; i < n; i++) {
        int a = i >= bpp ? dst[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
        uint8_t predicted = filter == 1 ? (uint8_t)a : filter == 3 ? (uint8_t)((a + b) >> 1) : paeth_byte(a, b, c);
        dst[i] = (uint8_t)(src[i] + predicted);
    }
}

static void unfilter_row(int filter, const uint8_t *restrict src, const uint8_t *restrict prev, uint8_t *restrict dst, size_t n,
    size_t bpp) {
    switch (filter) {
    case 0:
        memcpy(dst, src, n);
        break;
    case 2:
        for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(src[i] + prev[i]);
        break;
    default:
        switch (filter * 8 + (int)bpp) {
        case 1 * 8 + 3: unfilter_chained(1, src, prev, dst, n, 3); break;
        case 1 * 8 + 4: unfilter_chained(1, src, prev, dst, n, 4); break;
        case 3 * 8 + 3: unfilter_chained(3, src, prev, dst, n, 3); break;
        case 3 * 8 + 4: unfilter_chained(3, src, prev, dst, n, 4); break;
        case 4 * 8 + 3: unfilter_chained(4, src, prev, dst, n, 3); break;
        case 4 * 8 + 4: unfilter_chained(4, src, prev, dst, n, 4); break;
        default: unfilter_chained(filter, src, prev, dst, n, bpp); break;
        }
        break;
    }
}

// The inflate buffer is kept per thread for the next image: a fresh one costs page faults that take about a
// third as long as the inflate itself. Buffers over 64 MB are not kept; a thread's buffer is freed when it ends.
typedef struct {
    uint8_t *bytes;
    size_t size;
} png_scratch;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static void scratch_release(void *held) {
    png_scratch *scratch = held;
    free(scratch->bytes);
    free(scratch);
}
static void scratch_make_key(void) { pthread_key_create(&scratch_key, scratch_release); }

static uint8_t *scratch_take(size_t size) {
    pthread_once(&scratch_once, scratch_make_key);
    png_scratch *scratch = pthread_getspecific(scratch_key);
    if (scratch && scratch->size >= size) {
        uint8_t *bytes = scratch->bytes;
        scratch->bytes = NULL;
        scratch->size = 0;
        return bytes;
    }
    return malloc(size);
}

static void scratch_give_back(uint8_t *bytes, size_t size) {
    png_scratch *scratch = pthread_getspecific(scratch_key);
    if (!bytes || size > ((size_t)64 << 20)) {
        free(bytes);
        return;
    }
    if (!scratch && !(scratch = calloc(1, sizeof(png_scratch)))) {
        free(bytes);
        return;
    }
    pthread_setspecific(scratch_key, scratch);
    if (scratch->size >= size) {
        free(bytes);
        return;
    }
    free(scratch->bytes);
    scratch->bytes = bytes;
    scratch->size = size;
}

typedef struct {
    uint32_t width, height;
    int bands;
    const uint8_t *idat; // the zlib stream: in place when it is one chunk, else gathered into `gathered`
    size_t idat_length;
    uint8_t *gathered;
} png_layout;

// 1: a PNG left to libvips; 0: `layout` filled; -1: malformed.
static int png_read_layout(const uint8_t *data, size_t length, png_layout *layout) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (length < 8 + 25 || memcmp(data, signature, 8) != 0) return png_fail("not a PNG file");
    if (png_be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0) return png_fail("PNG without a header chunk");
    const uint8_t *ihdr = data + 16;
    layout->width = png_be32(ihdr);
    layout->height = png_be32(ihdr + 4);
    int depth = ihdr[8], colour = ihdr[9], interlace = ihdr[12];
    if (layout->width == 0 || layout->height == 0 || layout->width > 0x7fffffff || layout->height > 0x7fffffff) {
        return png_fail("PNG with an invalid size");
    }
    switch (colour) {
    case 0: layout->bands = 1; break;
    case 2: layout->bands = 3; break;
    case 4: layout->bands = 2; break;
    case 6: layout->bands = 4; break;
    default: return 1; // palette (or invalid: libvips says which)
    }
    if (depth != 8 || interlace != 0 || ihdr[10] != 0 || ihdr[11] != 0) return 1;

    // First pass: check the chunk chain, size the image data and refuse what libvips should handle.
    size_t total = 0, chunks = 0, offset = 8 + 25;
    const uint8_t *first = NULL;
    int ended = 0;
    while (!ended) {
        if (length - offset < 12) return png_fail("truncated PNG");
        size_t chunk = png_be32(data + offset);
        const uint8_t *type = data + offset + 4;
        if (chunk > length - offset - 12) return png_fail("truncated PNG chunk");
        if (memcmp(type, "IDAT", 4) == 0) {
            if (!first) first = data + offset + 8;
            total += chunk;
            chunks++;
        } else if (memcmp(type, "tRNS", 4) == 0 || memcmp(type, "iCCP", 4) == 0) {
            return 1;
        } else if (memcmp(type, "IEND", 4) == 0) {
            ended = 1;
        }
        offset += 12 + chunk;
    }
    if (chunks == 0) return png_fail("PNG without image data");
    layout->gathered = NULL;
    layout->idat_length = total;
    if (chunks == 1) {
        layout->idat = first;
        return 0;
    }
    layout->gathered = malloc(total);
    if (!layout->gathered) return png_fail("out of memory");
    size_t filled = 0;
    for (offset = 8 + 25;;) {
        size_t chunk = png_be32(data + offset);
        const uint8_t *type = data + offset + 4;
        if (memcmp(type, "IDAT", 4) == 0) {
            memcpy(layout->gathered + filled, data + offset + 8, chunk);
            filled += chunk;
        } else if (memcmp(type, "IEND", 4) == 0) {
            break;
        }
        offset += 12 + chunk;
    }
    layout->idat = layout->gathered;
    return 0;
}

// Adds a row into the running box sums (a plain loop the compiler vectorises).
static void add_row(uint32_t *restrict sums, const uint8_t *restrict row, size_t n) {
    for (size_t i = 0; i < n; i++) sums[i] += row[i];
}

// With alpha, colour is summed weighted by it, so transparent pixels' colour does not bleed into the thumbnail.
static void add_weighted_row(uint32_t *restrict sums, const uint8_t *restrict row, uint32_t width, int bands) {
    int colours = bands - 1;
    for (uint32_t x = 0; x < width; x++) {
        const uint8_t *pixel = row + (size_t)x * bands;
        for (int b = 0; b < colours; b++) sums[(size_t)x * colours + b] += (uint32_t)pixel[b] * pixel[colours];
    }
}

// Writes one output row: each pixel the mean of its box of `columns` x `rows` input pixels, rounded. A multiply
// by a 2^24-scaled reciprocal stands in for the division (at most 255 * 256^2 per sum, so it fits in 64 bits).
static void emit_row(const uint32_t *sums, const uint32_t *alpha_sums, uint8_t *out, uint32_t width, uint32_t out_width,
    int bands, int shrink, uint32_t rows) {
    int colours = (bands == 2 || bands == 4) ? bands - 1 : bands;
    uint64_t full = ((1u << 24) + (uint64_t)shrink * rows / 2) / ((uint64_t)shrink * rows);
    for (uint32_t ox = 0; ox < out_width; ox++) {
        uint32_t x0 = ox * (uint32_t)shrink;
        uint32_t columns = x0 + (uint32_t)shrink <= width ? (uint32_t)shrink : width - x0;
        uint64_t reciprocal = columns == (uint32_t)shrink ? full : ((1u << 24) + (uint64_t)columns * rows / 2) / ((uint64_t)columns * rows);
        uint8_t *pixel = out + (size_t)ox * bands;
        const uint32_t *box = sums + (size_t)x0 * bands;
        for (int b = 0; b < bands; b++) {
            uint32_t sum = 0;
            for (uint32_t c = 0; c < columns; c++) sum += box[(size_t)c * bands + b];
            pixel[b] = (uint8_t)((sum * reciprocal + (1u << 23)) >> 24);
        }
        if (colours == bands) continue;
        uint32_t alpha = 0;
        for (uint32_t c = 0; c < columns; c++) alpha += box[(size_t)c * bands + colours];
        for (int b = 0; b < colours; b++) {
            uint64_t weighted = 0;
            for (uint32_t c = 0; c < columns; c++) weighted += alpha_sums[(size_t)(x0 + c) * colours + b];
            pixel[b] = alpha ? (uint8_t)((weighted + alpha / 2) / alpha) : 0;
        }
    }
}

int cvips_png_load_shrunk(const void *bytes, size_t length, int shrink, size_t max_pixels, VipsImage **out) {
    const uint8_t *data = bytes;
    png_layout layout;
    int status = png_read_layout(data, length, &layout);
    if (status != 0) return status;
    if (shrink < 1) shrink = 1;
    uint32_t width = layout.width, height = layout.height;
    int bands = layout.bands;
    if ((uint64_t)width * height > max_pixels) {
        free(layout.gathered);
        vips_error("easel_png", "image of %ux%u exceeds the %zu-pixel limit", width, height, max_pixels);
        return -1;
    }
    size_t stride = (size_t)width * bands;
    size_t raw_length = (stride + 1) * height;
    uint32_t out_width = (width + shrink - 1) / shrink, out_height = (height + shrink - 1) / shrink;
    uint8_t *raw = scratch_take(raw_length);
    uint8_t *rows = malloc(stride * 2 + stride); // two rows plus a zero row above the first
    uint8_t *small = malloc((size_t)out_width * out_height * bands);
    int alpha = bands == 2 || bands == 4;
    uint32_t *sums = shrink > 1 ? calloc(stride, sizeof(uint32_t)) : NULL;
    uint32_t *alpha_sums = shrink > 1 && alpha ? calloc((size_t)width * (bands - 1), sizeof(uint32_t)) : NULL;
    status = -1;
    if (!raw || !rows || !small || (shrink > 1 && !sums) || (shrink > 1 && alpha && !alpha_sums)) {
        png_fail("out of memory");
        goto done;
    }
    struct libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
    if (!inflater) {
        png_fail("out of memory");
        goto done;
    }
    size_t produced = 0;
    enum libdeflate_result inflated =
        libdeflate_zlib_decompress(inflater, layout.idat, layout.idat_length, raw, raw_length, &produced);
    libdeflate_free_decompressor(inflater);
    if (inflated != LIBDEFLATE_SUCCESS || produced != raw_length) {
        png_fail(inflated == LIBDEFLATE_INSUFFICIENT_SPACE ? "PNG image data longer than its size" : "corrupt PNG image data");
        goto done;
    }
    memset(rows + stride * 2, 0, stride);
    const uint8_t *prev = rows + stride * 2;
    uint32_t in_box = 0;
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *line = raw + (size_t)y * (stride + 1);
        if (line[0] > 4) {
            png_fail("PNG row with an unknown filter");
            goto done;
        }
        uint8_t *dst = shrink == 1 ? small + (size_t)y * stride : rows + (y & 1) * stride;
        unfilter_row(line[0], line + 1, prev, dst, stride, (size_t)bands);
        prev = dst;
        if (shrink == 1) continue;
        add_row(sums, dst, stride);
        if (alpha) add_weighted_row(alpha_sums, dst, width, bands);
        in_box++;
        if (in_box == (uint32_t)shrink || y == height - 1) {
            emit_row(sums, alpha_sums, small + (size_t)(y / shrink) * out_width * bands, width, out_width, bands, shrink, in_box);
            memset(sums, 0, stride * sizeof(uint32_t));
            if (alpha) memset(alpha_sums, 0, (size_t)width * (bands - 1) * sizeof(uint32_t));
            in_box = 0;
        }
    }
    *out = vips_image_new_from_memory_copy(small, (size_t)out_width * out_height * bands, (int)out_width, (int)out_height,
        bands, VIPS_FORMAT_UCHAR);
    if (!*out) goto done;
    (*out)->Type = bands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W;
    status = 0;
done:
    free(layout.gathered);
    scratch_give_back(raw, raw_length);
    free(rows);
    free(small);
    free(sums);
    free(alpha_sums);
    return status;
}
