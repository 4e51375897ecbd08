// Errors of the transfer client. `code` lets callers (CLI, extension, tests) react without
// parsing messages; the message says what is wrong and what to do.
import { Esp32mmError } from '../errors';
import { STATUS_NAMES, Status } from './frame';

export type TransferErrorCode =
  | 'PORT_BUSY'
  | 'PORT_NOT_FOUND'
  | 'PORT_ERROR'
  | 'NO_AGENT'
  | 'LINK_LOST'
  | 'CANCELLED'
  | 'WRONG_BUILD_ID'
  | 'VERSION'
  | 'AGENT_TOO_OLD'
  | 'DEVICE'
  | 'PIO_MISSING'
  | 'PIO_FAILED'
  | 'LOCAL_FILE'
  | 'BAD_DEST';

export class TransferError extends Esp32mmError {
  constructor(
    readonly code: TransferErrorCode,
    message: string,
    /** For code DEVICE: the agent's status (protocol §6). */
    readonly status?: number,
  ) {
    super(message);
  }
}

const ADVICE: Record<number, string> = {
  [Status.BUSY]: 'the application on the board has the filesystem in use; try again when it is idle',
  [Status.FULL]: 'the card is full: remove files (esp32mm rm) or use a larger card',
  [Status.REFUSED]: 'the path is outside the folder the agent serves, or not allowed (.., empty parts, .part)',
  [Status.NOT_FOUND]: 'no such file or folder on the device',
  [Status.TOO_LARGE]: 'the file is larger than the agent accepts (max file size in its HELLO reply)',
  [Status.BAD_CRC]: 'the file arrived corrupted; the previous file is intact, upload again',
  [Status.BAD_SIZE]: 'the file arrived with the wrong size; the previous file is intact, upload again',
  [Status.IO]: 'the device filesystem reported an error (card removed or failing?)',
  [Status.PROTOCOL]: 'the agent did not understand the request (client and firmware out of step?)',
  [Status.VERSION]: 'the agent speaks another protocol version: update the firmware library or esp32mm',
  [Status.NAME_TOO_LONG]: 'the path is longer than the agent accepts',
};

export function deviceError(what: string, status: number): TransferError {
  const name = STATUS_NAMES[status] ?? `status ${status}`;
  return new TransferError('DEVICE', `${what}: ${name} — ${ADVICE[status] ?? 'unexpected status'}`, status);
}
