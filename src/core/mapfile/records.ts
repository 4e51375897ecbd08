// What a record of the memory map owns. ld accounts for every byte of an output section
// (padding is a `*fill*` record), so its records tile the section; the one exception is a
// merged string/constant section (SEC_MERGE), listed with the size of the whole merged blob
// over the records that follow it.

/** Input sections ld merges (SEC_MERGE): `.rodata.str1.1`, `.rodata.cst4`, `.comment`. */
export const MERGEABLE = /\.(str|cst)\d+(\.\d+)?$|^\.comment$/;

/**
 * Where the bytes of a record end when it owns them only up to where the next record starts
 * (`next`: the next record's address, or the section's end for the last one): never before
 * its own address.
 */
export function ownedEnd(address: number, size: number, next: number): number {
  return Math.max(address, Math.min(address + size, next));
}
