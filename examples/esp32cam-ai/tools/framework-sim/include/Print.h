#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

class Print {
  public:
    virtual size_t write(uint8_t c) = 0;
    virtual size_t write(const uint8_t *buf, size_t n);
    size_t print(const char *s);
    size_t print(long v);
    size_t print(int v) { return print(static_cast<long>(v)); }
    size_t println(const char *s = "");
    size_t println(long v);
    size_t println(int v) { return println(static_cast<long>(v)); }
    // %d %u %x %s %c %%, optional width (no floats: enough for the example)
    size_t printf(const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    size_t vprintf(const char *fmt, va_list ap);
};
