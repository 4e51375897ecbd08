/* ImageFilters: histogram equalisation, Sobel edges, 16x16 box downscale. No division:
 * every scale is a multiply and a shift. */
#include "ImageFilters.h"

static uint32_t histogram[256];    /* .bss */
static uint8_t equalise_lut[256];  /* .bss */
static uint8_t line_buf[3][160];   /* .bss: three equalised rows for Sobel */
static uint16_t block_sum[16][16]; /* .bss */
int if_frames;                     /* .bss */
int if_edge_gain = 3;              /* .data */

/* sqrt-free edge magnitude: |gx| + |gy| saturated, then gamma-shaped by this table */
static const uint8_t gamma_lut[64] = {
    /* .rodata */
    0,   16,  23,  28,  32,  36,  39,  42,  45,  48,  50,  53,  55,  58,  60,  62,  64,  66,  68,  70,  71,  73,
    75,  77,  78,  80,  81,  83,  84,  86,  87,  89,  90,  92,  93,  94,  96,  97,  98,  100, 101, 102, 103, 105,
    106, 107, 108, 109, 111, 112, 113, 114, 115, 116, 117, 118, 119, 121, 122, 123, 124, 125, 126, 127,
};

static void build_histogram(const uint8_t *f, int n) {
    for (int i = 0; i < 256; i++) histogram[i] = 0;
    for (int i = 0; i < n; i++) histogram[f[i]]++;
}

/* num / den, bit by bit: the Debian lx106 libgcc has no __udivsi3 */
static uint32_t div_u32(uint32_t num, uint32_t den) {
    uint32_t q = 0, rem = 0;
    for (int b = 31; b >= 0; b--) {
        rem = (rem << 1) | ((num >> b) & 1u);
        if (rem >= den) {
            rem -= den;
            q |= 1u << b;
        }
    }
    return q;
}

/* lut[i] = cdf(i) * 255 / n, with 255 / n as a 16.16 fixed-point factor */
static void build_equaliser(int n) {
    uint32_t recip = div_u32(255u << 16, (uint32_t)n);
    uint32_t cdf = 0;
    for (int i = 0; i < 256; i++) {
        cdf += histogram[i];
        uint32_t v = (cdf * recip) >> 16;
        equalise_lut[i] = (uint8_t)(v > 255 ? 255 : v);
    }
}

static int sobel(const uint8_t *a, const uint8_t *b, const uint8_t *c, int x) {
    int gx = (a[x + 1] + 2 * b[x + 1] + c[x + 1]) - (a[x - 1] + 2 * b[x - 1] + c[x - 1]);
    int gy = (c[x - 1] + 2 * c[x] + c[x + 1]) - (a[x - 1] + 2 * a[x] + a[x + 1]);
    int m = (gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy);
    m = (m * if_edge_gain) >> 4;
    return gamma_lut[m > 63 ? 63 : m] << 1;
}

int if_extract_features(const uint8_t *frame, int w, int h, uint8_t features[IF_FEATURES]) {
    if (w < 16 || h < 16 || w > 160 || h > 160 || (w & 15) || (h & 15)) return -1;
    build_histogram(frame, w * h);
    build_equaliser(w * h);
    for (int by = 0; by < 16; by++)
        for (int bx = 0; bx < 16; bx++) block_sum[by][bx] = 0;
    int bw = w >> 4, bh = h >> 4;
    int ra = 0, rb = 1, rc = 2; /* ring of three rows: oldest, middle, newest */
    for (int y = 0; y < h; y++) {
        int t = ra;
        ra = rb;
        rb = rc;
        rc = t;
        uint8_t *row = line_buf[rc];
        for (int x = 0; x < w; x++) row[x] = equalise_lut[frame[y * w + x]];
        if (y < 2) continue;
        const uint8_t *a = line_buf[ra], *b = line_buf[rb], *c = row;
        int by = 0, yy = y - 1;
        while (yy >= bh) {
            yy -= bh;
            by++;
        }
        for (int x = 1; x + 1 < w; x++) {
            int bx = 0, xx = x;
            while (xx >= bw) {
                xx -= bw;
                bx++;
            }
            block_sum[by][bx] += (uint16_t)sobel(a, b, c, x);
        }
    }
    /* block mean: sum / (bw * bh) as a multiply by a 16.16 reciprocal */
    uint32_t recip = div_u32(1u << 16, (uint32_t)(bw * bh));
    uint32_t total = 0;
    for (int i = 0; i < IF_FEATURES; i++) {
        uint32_t v = ((uint32_t)block_sum[i >> 4][i & 15] * recip) >> 16;
        features[i] = (uint8_t)(v > 255 ? 255 : v);
        total += features[i];
    }
    if_frames++;
    return (int)(total >> 8);
}

const uint32_t *if_last_histogram(void) { return histogram; }
