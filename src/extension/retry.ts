// Whether trying the same thing again can succeed: Retry is offered only then. A wrong
// input (a damaged ELF, a full card, a refused path, another protocol version) fails the
// same way every time; a busy or unplugged port, a lost link, a card the board was using or
// a file another program held open can pass on the next try. No 'vscode' here, so it is
// unit-tested directly.
import { Status } from '../core/transfer/frame';
import { TransferError, type TransferErrorCode } from '../core/transfer/errors';

/** Transfer failures that depend on the moment (the board, its port, the link), not on the files. */
const TRANSIENT_TRANSFER: ReadonlySet<TransferErrorCode> = new Set(['PORT_BUSY', 'PORT_NOT_FOUND', 'PORT_ERROR', 'NO_AGENT', 'LINK_LOST']);
/** Agent statuses a second upload can get past (protocol: BUSY, a damaged transfer, a card error). */
const TRANSIENT_STATUS: ReadonlySet<number> = new Set([Status.BUSY, Status.BAD_CRC, Status.BAD_SIZE, Status.IO]);
/** File-system errors of the moment: a file held by another program (PlatformIO still writing), too many open files. */
const TRANSIENT_ERRNO = new Set(['EBUSY', 'EAGAIN', 'ETXTBSY', 'EPERM', 'EMFILE', 'ENFILE']);

export function retryHelps(e: unknown): boolean {
  if (e instanceof TransferError)
    return TRANSIENT_TRANSFER.has(e.code) || (e.code === 'DEVICE' && e.status !== undefined && TRANSIENT_STATUS.has(e.status));
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && TRANSIENT_ERRNO.has(code);
}
