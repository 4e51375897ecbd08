// After the link: are the flash slots where the flash cache can map them without touching
// the app's own flash code, and does the mmlib partition hold their images
// (docs/design.md §6a)? A flash slot is a library's `.mm.<lib>.text` inside the fragment's
// `mm_flash_code_seg` region; the map's "Memory Configuration" and output sections say so.
import { type ChipId, instructionWindow } from '../chips/chips';
import type { MapFile, MapOutputSection } from '../mapfile/parse';
import { type Partition, PartitionTableError, largestAppPartition, libraryPartition, mmlibCsvLine } from '../platformio/partitions';
import { FLASH_PAGE } from './config';
import { FLASH_CODE_REGION, FLASH_DIRECTORY_BYTES, mmSectionName } from './fragment';

export interface FlashCheckInput {
  chip?: ChipId;
  /** The project's partition table and where it came from (for messages). */
  partitions?: { path: string; table: Partition[] };
}

/** One flash-slot library as linked: its code section and its image in the mmlib partition. */
export interface FlashImage {
  lib: string;
  address: number;
  size: number;
  /** Offset in the mmlib partition, as the fragment's `_mm_<lib>_flash_offset` computes it. */
  offset: number;
}

export interface FlashProblem {
  lib: string;
  message: string;
  /** `warning`: the slots could not be checked (no chip or table given); `error`: they cannot work. */
  severity: 'error' | 'warning';
}

const hex = (n: number) => '0x' + n.toString(16).toUpperCase().padStart(8, '0');
const alignPage = (n: number) => Math.ceil(n / FLASH_PAGE) * FLASH_PAGE;

/**
 * The flash-slot libraries of a link, in library order, with the offsets the fragment gives
 * their images: the first after the 64 KB directory, each next after the previous image
 * rounded up to 64 KB. Empty when the link has no flash slots.
 */
export function flashImages(map: MapFile, libs: string[]): FlashImage[] {
  const region = map.memory.find((m) => m.name === FLASH_CODE_REGION);
  if (!region) return [];
  const inRegion = (s: MapOutputSection) => s.address >= region.origin && s.address < region.origin + region.length;
  const images: FlashImage[] = [];
  let offset = FLASH_DIRECTORY_BYTES;
  for (const lib of libs) {
    const text = map.sections.find((s) => s.name === mmSectionName(lib, 'text'));
    if (!text || !inRegion(text)) continue;
    images.push({ lib, address: text.address, size: text.size, offset });
    offset += alignPage(text.size);
  }
  return images;
}

/** Bytes of the mmlib partition the images need: the directory plus every image rounded up to 64 KB. */
export function flashPartitionNeed(images: FlashImage[]): number {
  return FLASH_DIRECTORY_BYTES + images.reduce((n, i) => n + alignPage(i.size), 0);
}

/** Every reason the link's flash slots cannot work; empty when they can (or there are none). */
export function checkFlashSlots(map: MapFile, libs: string[], input: FlashCheckInput): FlashProblem[] {
  const images = flashImages(map, libs);
  if (!images.length) return [];
  const first = images[0].lib;
  if (!input.chip || !input.partitions) {
    return [
      {
        lib: first,
        severity: 'warning',
        message: `${images.map((i) => i.lib).join(', ')} ${images.length > 1 ? 'are' : 'is'} linked into flash slots, which cannot be checked without the chip and the partition table: give --chip and --partitions <partitions.csv|partitions.bin>`,
      },
    ];
  }
  const problems: FlashProblem[] = [];
  const window = instructionWindow(input.chip);
  const { path, table } = input.partitions;
  const app = largestAppPartition(table);
  const reach = app ? window.start + app.size : undefined;
  for (const image of images) {
    const end = image.address + image.size;
    if (image.address % FLASH_PAGE !== 0) {
      problems.push({
        lib: image.lib,
        severity: 'error',
        message: `${image.lib}: its flash slot starts at ${hex(image.address)}, not on a 64 KB boundary: the flash cache maps whole 64 KB pages — link with the fragment esp32mm writes`,
      });
    }
    if (image.address < window.start || end > window.end) {
      problems.push({
        lib: image.lib,
        severity: 'error',
        message: `${image.lib}: its flash slot ${hex(image.address)}..${hex(end)} is outside ${input.chip}'s instruction window ${hex(window.start)}..${hex(window.end)}: set custom_mm_flash_code_addr inside the window, or make the libraries smaller`,
      });
    } else if (reach !== undefined && image.address < reach) {
      problems.push({
        lib: image.lib,
        severity: 'error',
        message: `${image.lib}: its flash slot at ${hex(image.address)} is within the reach of the app's own flash code (the window's start + the largest app partition "${app!.label}", ${hex(app!.size)} bytes = ${hex(reach)}): the app would overwrite its mapping — set custom_mm_flash_code_addr to ${hex(alignPage(reach))} or above, or leave it unset`,
      });
    }
  }
  let mmlib: Partition | undefined;
  try {
    mmlib = libraryPartition(table);
  } catch (e) {
    if (!(e instanceof PartitionTableError)) throw e;
    return [...problems, { lib: first, severity: 'error', message: `${path}: ${e.message}` }];
  }
  const need = flashPartitionNeed(images);
  if (!mmlib) {
    problems.push({
      lib: first,
      severity: 'error',
      message: `${path} has no mmlib partition for the flash-slot library images (${need} bytes needed: 64 KB directory + the images, each rounded up to 64 KB): add the line "${mmlibCsvLine(alignMegabyte(need))}" (esp32mm init adds it to a project CSV)`,
    });
  } else if (mmlib.offset % FLASH_PAGE !== 0) {
    problems.push({
      lib: first,
      severity: 'error',
      message: `${path}: the mmlib partition starts at ${hex(mmlib.offset)}, not on a 64 KB boundary: the flash cache maps its images as whole 64 KB pages — move it to ${hex(alignPage(mmlib.offset))}`,
    });
  } else if (mmlib.size < need) {
    problems.push({
      lib: first,
      severity: 'error',
      message: `${path}: the mmlib partition (${mmlib.size} bytes) is too small for the flash-slot library images: they need ${need} bytes (64 KB directory + ${images.map((i) => `${i.lib} ${alignPage(i.size)}`).join(' + ')}) — make it at least ${hex(need)} bytes`,
    });
  }
  return problems;
}

/** Sizes suggested in messages: whole megabytes, so the table has room to grow. */
function alignMegabyte(n: number): number {
  return Math.ceil(n / 0x100000) * 0x100000;
}
