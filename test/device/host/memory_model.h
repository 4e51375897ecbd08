/* A model of ESP32 memory for the host tests: IRAM accepts only aligned 32-bit stores
 * (a byte store faults, as LoadStoreError does on the chip; QEMU does not model this),
 * DRAM accepts anything. Any access outside the modelled regions faults too.
 * A fault prints what happened and aborts, so a loader bug cannot pass unnoticed. */
#ifndef MEMORY_MODEL_H
#define MEMORY_MODEL_H
#include <stdint.h>
#include "mm_loader.h"

#define IRAM_BASE 0x40080000u
#define IRAM_SIZE 0x20000u
#define DRAM_BASE 0x3FFB0000u
#define DRAM_SIZE 0x50000u

typedef struct {
    uint8_t iram[IRAM_SIZE];
    uint8_t dram[DRAM_SIZE];
    unsigned writes; /* write_code/write_data/zero_data calls */
    unsigned syncs;
    uintptr_t calls[64]; /* constructor addresses called, in order */
    unsigned ncalls;
    mm_err_t code_region_answer; /* what check_code_region returns */
} model_t;

extern model_t model;
mm_memory_t model_memory(void);
void model_reset(void);
uint8_t *model_ptr(uint32_t addr, uint32_t len); /* NULL if not inside one region */
/* Byte store as a naive loader would do it: faults in IRAM. */
void model_store_byte(uint32_t addr, uint8_t v);
/* A host function the model runs when the loader calls `addr` as a constructor. */
void model_on_call(uint32_t addr, void (*fn)(uint32_t addr));
#endif
