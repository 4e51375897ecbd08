/* ImageFilters: turns a grayscale camera frame into the 16x16 feature map TinyClassifier
 * reads. Plain C. A dynamic library (slot "ai"): loaded from the SD card when called. */
#ifndef IMAGE_FILTERS_H
#define IMAGE_FILTERS_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

#define IF_FEATURES 256 /* 16 x 16 */

/* Equalise, edge-detect and downscale a w x h frame (w, h multiples of 16, at most 160)
 * to 16 x 16 features. Returns the mean edge strength, or -1 for a bad size. */
int if_extract_features(const uint8_t *frame, int w, int h, uint8_t features[IF_FEATURES]);
/* The histogram of the last frame (256 bins). */
const uint32_t *if_last_histogram(void);

#ifdef __cplusplus
}
#endif
#endif
