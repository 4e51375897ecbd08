#include "Print.h"
#include "Stream.h"

size_t Print::write(const uint8_t *buf, size_t n) {
    size_t done = 0;
    while (done < n && write(buf[done])) done++;
    return done;
}

size_t Print::print(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return write(reinterpret_cast<const uint8_t *>(s), n);
}

// Decimal digits by repeated subtraction of powers of ten (no division helper needed).
static size_t formatUnsigned(char *out, uint32_t v, int base) {
    static const uint32_t kPow10[] = {1000000000u, 100000000u, 10000000u, 1000000u, 100000u,
                                      10000u,      1000u,      100u,      10u,      1u};
    static const char kHex[] = "0123456789abcdef";
    size_t n = 0;
    if (base == 16) {
        bool started = false;
        for (int shift = 28; shift >= 0; shift -= 4) {
            unsigned d = (v >> shift) & 15u;
            if (d || started || shift == 0) {
                out[n++] = kHex[d];
                started = true;
            }
        }
        return n;
    }
    bool started = false;
    for (uint32_t p : kPow10) {
        unsigned d = 0;
        while (v >= p) {
            v -= p;
            d++;
        }
        if (d || started || p == 1) {
            out[n++] = static_cast<char>('0' + d);
            started = true;
        }
    }
    return n;
}

size_t Print::print(long v) {
    char buf[12];
    size_t n = 0;
    uint32_t u = static_cast<uint32_t>(v);
    if (v < 0) {
        buf[n++] = '-';
        u = 0u - u;
    }
    n += formatUnsigned(buf + n, u, 10);
    return write(reinterpret_cast<const uint8_t *>(buf), n);
}

size_t Print::println(const char *s) { return print(s) + print("\r\n"); }
size_t Print::println(long v) { return print(v) + print("\r\n"); }

size_t Print::vprintf(const char *fmt, va_list ap) {
    size_t total = 0;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            total += write(static_cast<uint8_t>(*p));
            continue;
        }
        int width = 0;
        while (p[1] >= '0' && p[1] <= '9') width = width * 10 + (*++p - '0');
        char buf[12];
        size_t n = 0;
        switch (*++p) {
        case 'd':
        case 'i': {
            int v = va_arg(ap, int);
            uint32_t u = static_cast<uint32_t>(v);
            if (v < 0) {
                buf[n++] = '-';
                u = 0u - u;
            }
            n += formatUnsigned(buf + n, u, 10);
            break;
        }
        case 'u':
            n = formatUnsigned(buf, va_arg(ap, unsigned), 10);
            break;
        case 'x':
            n = formatUnsigned(buf, va_arg(ap, unsigned), 16);
            break;
        case 'c':
            buf[n++] = static_cast<char>(va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            size_t len = 0;
            while (s[len]) len++;
            for (int pad = width - static_cast<int>(len); pad > 0; pad--) total += write(' ');
            total += write(reinterpret_cast<const uint8_t *>(s), len);
            continue;
        }
        case '%':
            buf[n++] = '%';
            break;
        case '\0':
            return total;
        default:
            buf[n++] = '?';
            break;
        }
        for (int pad = width - static_cast<int>(n); pad > 0; pad--) total += write(' ');
        total += write(reinterpret_cast<const uint8_t *>(buf), n);
    }
    return total;
}

size_t Print::printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

// Arduino's readBytes waits up to a timeout for more; the agent asks only for what is there.
size_t Stream::readBytes(uint8_t *buf, size_t n) {
    size_t done = 0;
    for (int c; done < n && (c = read()) >= 0;) buf[done++] = static_cast<uint8_t>(c);
    return done;
}
