// A JPEG decoder for thumbnails: libjpeg(-turbo) called directly with its scaled IDCT (1/2, 1/4, 1/8), which
// is itself a proper low-pass downscale. Through libvips' loader the same decode costs about half as much again
// (its region pipeline and a second header read). Only plain upright YCbCr or grey images are taken; CMYK and
// EXIF-rotated ones are left to libvips, which handles both.
#include "cvips.h"
#include <jpeglib.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
} jpeg_failure;

static void jpeg_fail_exit(j_common_ptr info) {
    jpeg_failure *failure = (jpeg_failure *)info->err;
    char message[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, message);
    vips_error("easel_jpeg", "%s", message);
    longjmp(failure->jump, 1);
}

// Warnings (a truncated file, say) are not failures: libjpeg fills what is missing, as libvips' loader does.
static void jpeg_ignore_message(j_common_ptr info, int level) {
    (void)info;
    (void)level;
}

static unsigned exif_read16(const uint8_t *p, int little) { return little ? p[0] | p[1] << 8 : p[0] << 8 | p[1]; }
static uint32_t exif_read32(const uint8_t *p, int little) {
    return little ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                  : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

// The EXIF orientation tag (1 = upright, also when absent or unreadable).
static int exif_orientation(struct jpeg_decompress_struct *info) {
    for (jpeg_saved_marker_ptr marker = info->marker_list; marker; marker = marker->next) {
        const uint8_t *data = marker->data;
        size_t length = marker->data_length;
        if (marker->marker != JPEG_APP0 + 1 || length < 14 || memcmp(data, "Exif\0\0", 6) != 0) continue;
        const uint8_t *tiff = data + 6;
        size_t size = length - 6;
        int little = tiff[0] == 'I';
        uint32_t ifd = exif_read32(tiff + 4, little);
        if (ifd > size - 2) return 1;
        unsigned entries = exif_read16(tiff + ifd, little);
        for (unsigned i = 0; i < entries; i++) {
            size_t entry = ifd + 2 + (size_t)i * 12;
            if (entry + 12 > size) return 1;
            if (exif_read16(tiff + entry, little) == 0x0112) return (int)exif_read16(tiff + entry + 8, little);
        }
    }
    return 1;
}

int cvips_jpeg_load_scaled(const void *data, size_t length, int shrink, size_t max_pixels, VipsImage **out) {
    struct jpeg_decompress_struct info;
    jpeg_failure failure;
    uint8_t *volatile pixels = NULL;
    volatile int status = -1;
    info.err = jpeg_std_error(&failure.base);
    failure.base.error_exit = jpeg_fail_exit;
    failure.base.emit_message = jpeg_ignore_message;
    jpeg_create_decompress(&info);
    if (setjmp(failure.jump)) goto done;
    jpeg_mem_src(&info, data, (unsigned long)length);
    jpeg_save_markers(&info, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&info, TRUE);
    if (exif_orientation(&info) != 1 || (info.jpeg_color_space != JCS_YCbCr && info.jpeg_color_space != JCS_GRAYSCALE)) {
        status = 1;
        goto done;
    }
    if ((uint64_t)info.image_width * info.image_height > max_pixels) {
        vips_error("easel_jpeg", "image of %ux%u exceeds the %zu-pixel limit", info.image_width, info.image_height, max_pixels);
        goto done;
    }
    info.scale_num = 1;
    info.scale_denom = (unsigned)(shrink == 2 || shrink == 4 || shrink == 8 ? shrink : 1);
    info.out_color_space = info.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    size_t width = info.output_width, height = info.output_height, bands = (size_t)info.output_components;
    size_t stride = width * bands;
    pixels = malloc(stride * height);
    if (!pixels) {
        vips_error("easel_jpeg", "out of memory");
        goto done;
    }
    while (info.output_scanline < height) {
        JSAMPROW rows[16];
        size_t at = info.output_scanline;
        int count = 0;
        for (; count < 16 && at + (size_t)count < height; count++) rows[count] = pixels + (at + (size_t)count) * stride;
        jpeg_read_scanlines(&info, rows, (JDIMENSION)count);
    }
    jpeg_finish_decompress(&info);
    *out = vips_image_new_from_memory_copy(pixels, stride * height, (int)width, (int)height, (int)bands, VIPS_FORMAT_UCHAR);
    if (*out) {
        (*out)->Type = bands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W;
        status = 0;
    }
done:
    jpeg_destroy_decompress(&info);
    free(pixels);
    return status;
}
