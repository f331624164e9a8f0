#include "cvips.h"
#include <pango/pangocairo.h>

int cvips_init(const char *program_name) {
    return VIPS_INIT(program_name) ? -1 : 0;
}

char *cvips_error(void) {
    char *message = g_strdup(vips_error_buffer());
    vips_error_clear();
    return message;
}

void cvips_free(void *pointer) { g_free(pointer); }
void cvips_unref(VipsImage *image) { if (image) g_object_unref(image); }

void cvips_cache_limits(int max_operations, size_t max_memory) {
    vips_cache_set_max(max_operations);
    vips_cache_set_max_mem(max_memory);
}

void cvips_concurrency(int threads) { vips_concurrency_set(threads); }

int cvips_width(VipsImage *image) { return vips_image_get_width(image); }
int cvips_height(VipsImage *image) { return vips_image_get_height(image); }
int cvips_bands(VipsImage *image) { return vips_image_get_bands(image); }
int cvips_has_alpha(VipsImage *image) { return vips_image_hasalpha(image); }

static void cvips_free_on_close(VipsImage *image, void *copy) {
    (void)image;
    g_free(copy);
}

VipsImage *cvips_load_buffer(const void *data, size_t length, int sequential) {
    // libvips reads the buffer lazily and does not copy it; the image owns a copy, freed when it closes.
    void *copy = g_memdup2(data, length);
    VipsImage *image = vips_image_new_from_buffer(copy, length, "",
        "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM, NULL);
    if (!image) {
        g_free(copy);
        return NULL;
    }
    g_signal_connect(image, "postclose", G_CALLBACK(cvips_free_on_close), copy);
    return image;
}

VipsImage *cvips_from_pixels(const void *data, size_t length, int width, int height, int bands) {
    return vips_image_new_from_memory_copy(data, length, width, height, bands, VIPS_FORMAT_UCHAR);
}

void *cvips_to_pixels(VipsImage *image, size_t *length) {
    return vips_image_write_to_memory(image, length);
}

int cvips_copy_memory(VipsImage *in, VipsImage **out) {
    *out = vips_image_copy_memory(in);
    return *out ? 0 : -1;
}

int cvips_png_save(VipsImage *in, void **buffer, size_t *length, int compression, int filters) {
    return vips_pngsave_buffer(in, buffer, length, "compression", compression, "filter", (VipsForeignPngFilter)filters,
        "strip", TRUE, NULL);
}

int cvips_jpeg_save(VipsImage *in, void **buffer, size_t *length, int quality) {
    return vips_jpegsave_buffer(in, buffer, length, "Q", quality, "strip", TRUE, NULL);
}

int cvips_webp_save(VipsImage *in, void **buffer, size_t *length, int quality, int lossless, int effort) {
    return vips_webpsave_buffer(in, buffer, length, "Q", quality, "lossless", lossless,
        "effort", effort, "strip", TRUE, NULL);
}

int cvips_text(VipsImage **out, const char *text, const char *font, int width, int dpi) {
    return vips_text(out, text, "font", font, "width", width, "dpi", dpi, NULL);
}

int cvips_resize(VipsImage *in, VipsImage **out, double scale, double vscale, int kernel) {
    return vips_resize(in, out, scale, "vscale", vscale, "kernel", (VipsKernel)kernel, NULL);
}

int cvips_thumbnail_image(VipsImage *in, VipsImage **out, int width, int height) {
    return vips_thumbnail_image(in, out, width, "height", height, NULL);
}

int cvips_thumbnail_buffer(const void *data, size_t length, VipsImage **out, int width, int height) {
    return vips_thumbnail_buffer((void *)data, length, out, width, "height", height, NULL);
}

int cvips_jpeg_load_shrunk(const void *data, size_t length, int shrink, VipsImage **out) {
    VipsImage *loaded, *upright;
    // Random access: turning the image reads its lines out of order.
    if (vips_jpegload_buffer((void *)data, length, &loaded, "shrink", shrink, NULL)) return -1;
    int status = vips_autorot(loaded, &upright, NULL);
    g_object_unref(loaded);
    if (status) return -1;
    *out = vips_image_copy_memory(upright);
    g_object_unref(upright);
    return *out ? 0 : -1;
}

int cvips_thumbnail_buffer_memory(const void *data, size_t length, VipsImage **out, int width, int height) {
    VipsImage *lazy;
    if (vips_thumbnail_buffer((void *)data, length, &lazy, width, "height", height, NULL)) return -1;
    *out = vips_image_copy_memory(lazy);
    g_object_unref(lazy);
    return *out ? 0 : -1;
}

int cvips_flatten(VipsImage *in, VipsImage **out, double r, double g, double b) {
    double background[3] = {r, g, b};
    VipsArrayDouble *array = vips_array_double_new(background, 3);
    int result = vips_flatten(in, out, "background", array, NULL);
    vips_area_unref(VIPS_AREA(array));
    return result;
}

int cvips_sharpen(VipsImage *in, VipsImage **out, double sigma) {
    return vips_sharpen(in, out, "sigma", sigma, NULL);
}

int cvips_gaussblur(VipsImage *in, VipsImage **out, double sigma) {
    return vips_gaussblur(in, out, sigma, NULL);
}

int cvips_extract_area(VipsImage *in, VipsImage **out, int left, int top, int width, int height) {
    return vips_extract_area(in, out, left, top, width, height, NULL);
}

int cvips_extract_band(VipsImage *in, VipsImage **out, int band, int n) {
    return vips_extract_band(in, out, band, "n", n, NULL);
}

int cvips_bandjoin2(VipsImage *a, VipsImage *b, VipsImage **out) {
    return vips_bandjoin2(a, b, out, NULL);
}

int cvips_bandjoin_const1(VipsImage *in, VipsImage **out, double value) {
    return vips_bandjoin_const1(in, out, value, NULL);
}

int cvips_cast_uchar(VipsImage *in, VipsImage **out) {
    return vips_cast_uchar(in, out, NULL);
}

int cvips_colourspace_srgb(VipsImage *in, VipsImage **out) {
    return vips_colourspace(in, out, VIPS_INTERPRETATION_sRGB, NULL);
}

int cvips_composite2(VipsImage *base, VipsImage *overlay, VipsImage **out, int mode, int x, int y) {
    return vips_composite2(base, overlay, out, (VipsBlendMode)mode, "x", x, "y", y, NULL);
}

/* Pango's layouts share one font map and context, which are not thread-safe: one caller at a time. */
static GMutex cvips_pango_lock;
static PangoFontMap *cvips_font_map = NULL;
static PangoContext *cvips_pango_context = NULL;

int cvips_unknown_glyphs(const char *text, const char *font) {
    g_mutex_lock(&cvips_pango_lock);
    if (!cvips_font_map) {
        cvips_font_map = pango_cairo_font_map_new();
        cvips_pango_context = pango_font_map_create_context(cvips_font_map);
    }
    PangoLayout *layout = pango_layout_new(cvips_pango_context);
    PangoFontDescription *description = pango_font_description_from_string(font);
    pango_layout_set_font_description(layout, description);
    pango_layout_set_text(layout, text, -1);
    int unknown = pango_layout_get_unknown_glyphs_count(layout);
    pango_font_description_free(description);
    g_object_unref(layout);
    g_mutex_unlock(&cvips_pango_lock);
    return unknown;
}
