/* mm_libraries.h: written by esp32mm Install for [env:esp32cam] from platformio.ini (custom_mm_libs,
 * custom_mm_slots) and the libraries' headers; Install writes it again, so change platformio.ini or the
 * headers, not this file. In the one source file that holds setup(), before the include:
 *   #define MM_LIBRARIES_REGISTER
 * Every other file may include it for the mm_lazy_<function> wrappers. */
#ifndef MM_LIBRARIES_H
#define MM_LIBRARIES_H
#include <MemoryManager.h>
#include <SD.h>
#if defined(ARDUINO)
#include <mm_agent_arduino.h>
#endif
#include <TinyClassifier.h>
#include <ImageFilters.h>

#ifdef MM_LIBRARIES_REGISTER
MM_SLOT(ai)
MM_LIBRARY(TinyClassifier, ai)
MM_LIBRARY(ImageFilters, ai)
MemoryManager mm(SD, "/mm");   /* files /mm/<library>_e and _d */
#if defined(ARDUINO)
MMAgent mmAgent(SD, "/mm");   /* "Upload Libraries" in VS Code talks to it */
#endif
#else
extern MemoryManager mm;
#endif

/* mm_lazy_<function>(…): loads the library on the first call, then calls it; when the load fails
 * it returns MM_FALLBACK_<function> (define it before the include to choose another value) and
 * mm.lastErrorText() says why. */
#ifndef MM_FALLBACK_tiny_classify
#define MM_FALLBACK_tiny_classify (-1)
#endif
MM_LAZY(TinyClassifier, int, tiny_classify, (const uint8_t features[TC_INPUTS]), (features), MM_FALLBACK_tiny_classify)
#ifndef MM_FALLBACK_tiny_label
#define MM_FALLBACK_tiny_label 0
#endif
MM_LAZY(TinyClassifier, const char *, tiny_label, (int cls), (cls), MM_FALLBACK_tiny_label)
#ifndef MM_FALLBACK_if_extract_features
#define MM_FALLBACK_if_extract_features (-1)
#endif
MM_LAZY(ImageFilters, int, if_extract_features, (const uint8_t *frame, int w, int h, uint8_t features[IF_FEATURES]), (frame, w, h, features), MM_FALLBACK_if_extract_features)
#ifndef MM_FALLBACK_if_last_histogram
#define MM_FALLBACK_if_last_histogram 0
#endif
MM_LAZY(ImageFilters, const uint32_t *, if_last_histogram, (void), (), MM_FALLBACK_if_last_histogram)

/* Not wrapped (call mm.load("<library>") before calling them yourself):
 *   TinyClassifier: Classifier (TinyClassifier.h): a class: make its objects after a load with mm.create<Classifier>(library, …)
 */
#endif
