// The one base of every error core and the CLI throw on purpose. `code` names the kind of
// fault so front ends (CLI exit codes, the extension's buttons and wording, tests) react to it
// without parsing the message; the message itself says what is wrong and what to do. `name`
// is the class name, so a stack trace or a log line names the kind as well.
import type { TransferErrorCode } from './transfer/errors';

export type ErrorCode =
  | 'USAGE'
  | 'INPUT'
  | 'INPUT_FILE'
  | 'PATH_ESCAPE'
  | 'COMMIT'
  | 'ELF'
  | 'ELF_WRITE'
  | 'MAP_FILE'
  | 'CHIP'
  | 'MEMMAP_INPUT'
  | 'VIEW_INPUT'
  | 'LINK_CONFIG'
  | 'SPLIT'
  | 'LIBRARY_NAME'
  | 'FORMAT'
  | 'INI'
  | 'INSTALL_OPTION'
  | 'PARTITION_TABLE'
  | 'DOCTOR_INPUT'
  | 'PROJECT'
  | 'DEVICE_LIBRARY'
  | 'BUILD_CONFIG'
  // the transfer client's codes (src/core/transfer/errors.ts) say which step failed
  | TransferErrorCode;

export abstract class Esp32mmError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True for the errors we throw on purpose (as opposed to a bug's TypeError or a raw fs error). */
export function isEsp32mmError(e: unknown): e is Esp32mmError {
  return e instanceof Esp32mmError;
}
