// The chip of a PlatformIO environment, decided one way for every command that needs it
// before (or without) a build: `esp32mm config`, and so the build hook, and `esp32mm doctor`.
// After a build `esp32mm map` reads the chip from the firmware itself, with custom_mm_chip
// (or --chip) first, through the same parseChipId (src/core/chips/detect.ts).
import { chipOfBoard } from '../chips/boards';
import { CHIP_IDS, parseChipId, type ChipId } from '../chips/chips';
import { envOption } from './ini';
import { type PlatformioProject } from './project';
import { Esp32mmError } from '../errors';

/** Where the chip came from, first that tells: the option, the ini's MCU, PlatformIO's board manifest, the board id, the sdkconfig. */
export type ChipSource = 'custom_mm_chip' | 'board_build.mcu' | 'board manifest' | 'board' | 'sdkconfig';

export interface EnvChip {
  chip: ChipId;
  source: ChipSource;
}

export interface ChipHints {
  /** `build.mcu` of the board as PlatformIO knows it (the build hook passes BoardConfig's). */
  mcu?: string;
  /** CONFIG_IDF_TARGET of the build's sdkconfig. */
  sdkconfigTarget?: string;
}

export class EnvChipError extends Esp32mmError {
  readonly code = 'CHIP';
}

/** The environment's chip, or undefined when nothing tells; a custom_mm_chip that names no chip is an error. */
export function envChip(project: PlatformioProject, env: string, hints: ChipHints = {}): EnvChip | undefined {
  const option = (name: string) => envOption(project.doc, env, name)?.trim() || undefined;
  const explicit = option('custom_mm_chip');
  if (explicit) {
    const chip = parseChipId(explicit);
    if (!chip)
      throw new EnvChipError(
        `[env:${env}] custom_mm_chip = ${explicit} is not a chip this tool knows: use ${CHIP_IDS.join(', ')} (or s3, esp32-s3, …)`,
      );
    return { chip, source: 'custom_mm_chip' };
  }
  const candidates: [string | undefined, ChipSource][] = [
    [option('board_build.mcu'), 'board_build.mcu'],
    [hints.mcu?.trim() || undefined, 'board manifest'],
    [option('board'), 'board'],
    [hints.sdkconfigTarget, 'sdkconfig'],
  ];
  for (const [value, source] of candidates) {
    const chip = value ? chipOfBoard(value) : undefined;
    if (chip) return { chip, source };
  }
  return undefined;
}

/** The fix when envChip finds nothing. */
export function unknownChipMessage(env: string): string {
  return `cannot tell the chip of [env:${env}] (its board is not one this tool knows, there is no sdkconfig and no build yet): set custom_mm_chip`;
}
