// Fixed-argument wrappers around libvips' variadic API, which Swift cannot call directly.
// Every function returns 0 on success and -1 on failure (read the message with cvips_error).
#ifndef CVIPS_H
#define CVIPS_H

#include <stddef.h>
#include <vips/vips.h>

int cvips_init(const char *program_name);
/// Takes and clears libvips' error buffer; the caller frees the result with cvips_free.
char *cvips_error(void);
void cvips_free(void *pointer);
void cvips_unref(VipsImage *image);
/// Limits libvips' operation cache, which otherwise holds decoded images in memory.
void cvips_cache_limits(int max_operations, size_t max_memory);
void cvips_concurrency(int threads);

int cvips_width(VipsImage *image);
int cvips_height(VipsImage *image);
int cvips_bands(VipsImage *image);
int cvips_has_alpha(VipsImage *image);

/// Decodes lazily: only the header is read until pixels are needed (from a copy of the bytes the image owns).
VipsImage *cvips_load_buffer(const void *data, size_t length, int sequential);
/// Wraps RGB(A) 8-bit pixels, copying them so libvips owns its memory.
VipsImage *cvips_from_pixels(const void *data, size_t length, int width, int height, int bands);
/// Renders pixels into a new malloc'd buffer of width*height*bands bytes (free with cvips_free).
void *cvips_to_pixels(VipsImage *image, size_t *length);
/// Forces computation into a memory image, so later reads do not recompute the pipeline.
int cvips_copy_memory(VipsImage *in, VipsImage **out);

/// filters: VipsForeignPngFilter flags, the row filters libpng may choose from (one, or all for adaptive).
int cvips_png_save(VipsImage *in, void **buffer, size_t *length, int compression, int filters);
int cvips_jpeg_save(VipsImage *in, void **buffer, size_t *length, int quality);
int cvips_webp_save(VipsImage *in, void **buffer, size_t *length, int quality, int lossless, int effort);

/// Renders text to a one-band 8-bit mask (255 = ink), wrapped at `width` pixels.
int cvips_text(VipsImage **out, const char *text, const char *font, int width, int dpi);
/// Resizes by `scale` with the given kernel (VipsKernel: 0 nearest, 1 linear, 2 cubic, 5 lanczos3).
int cvips_resize(VipsImage *in, VipsImage **out, double scale, double vscale, int kernel);
/// Shrinks to fit inside width x height, keeping the aspect ratio.
int cvips_thumbnail_image(VipsImage *in, VipsImage **out, int width, int height);
int cvips_thumbnail_buffer(const void *data, size_t length, VipsImage **out, int width, int height);
/// Shrink-on-load for thumbnails, each materialised in memory (the encoded bytes need not outlive the call).
/// PNG (png_shrink.c): box-averaged by `shrink` while decoding; returns 1 for a PNG it leaves to libvips
/// (palette, 16-bit, interlaced, transparency key, ICC profile), -1 for a corrupt or too large one.
int cvips_png_load_shrunk(const void *data, size_t length, int shrink, size_t max_pixels, VipsImage **out);
/// JPEG (jpeg_shrink.c): libjpeg's scaled IDCT (`shrink` 1, 2, 4 or 8); returns 1 for a JPEG it leaves to libvips
/// (CMYK, or turned by its EXIF orientation), -1 for a corrupt or too large one.
int cvips_jpeg_load_scaled(const void *data, size_t length, int shrink, size_t max_pixels, VipsImage **out);
/// JPEG through libvips: the scaled IDCT, then turned upright by its EXIF orientation.
int cvips_jpeg_load_shrunk(const void *data, size_t length, int shrink, VipsImage **out);
/// Any format libvips reads, reduced on load where the format allows (WebP), to fit width x height.
int cvips_thumbnail_buffer_memory(const void *data, size_t length, VipsImage **out, int width, int height);
int cvips_flatten(VipsImage *in, VipsImage **out, double r, double g, double b);
int cvips_sharpen(VipsImage *in, VipsImage **out, double sigma);
int cvips_gaussblur(VipsImage *in, VipsImage **out, double sigma);
int cvips_extract_area(VipsImage *in, VipsImage **out, int left, int top, int width, int height);
int cvips_extract_band(VipsImage *in, VipsImage **out, int band, int n);
int cvips_bandjoin2(VipsImage *a, VipsImage *b, VipsImage **out);
int cvips_bandjoin_const1(VipsImage *in, VipsImage **out, double value);
int cvips_cast_uchar(VipsImage *in, VipsImage **out);
int cvips_colourspace_srgb(VipsImage *in, VipsImage **out);
/// Composites `overlay` over `base` at (x, y) with the given VipsBlendMode (2 = over).
int cvips_composite2(VipsImage *base, VipsImage *overlay, VipsImage **out, int mode, int x, int y);
/// How many glyphs of `text` no font has when set in `font` (a Pango description with a family list), as
/// the text renderer would lay it out: 0 when every character can be drawn.
int cvips_unknown_glyphs(const char *text, const char *font);

#endif
