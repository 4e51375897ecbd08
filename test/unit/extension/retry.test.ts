// Retry is offered only where trying again can succeed.
import { describe, expect, it } from 'vitest';
import { Status } from '../../../src/core/transfer/frame';
import { TransferError, deviceError } from '../../../src/core/transfer/errors';
import { SplitError } from '../../../src/core/split/errors';
import { retryHelps } from '../../../src/extension/retry';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('retryHelps', () => {
  it('yes for a busy or missing port, a lost link, a busy card, a damaged transfer, a file held open', () => {
    for (const code of ['PORT_BUSY', 'PORT_NOT_FOUND', 'PORT_ERROR', 'NO_AGENT', 'LINK_LOST'] as const)
      expect(retryHelps(new TransferError(code, 'x')), code).toBe(true);
    for (const s of [Status.BUSY, Status.BAD_CRC, Status.BAD_SIZE, Status.IO])
      expect(retryHelps(deviceError('write', s)), String(s)).toBe(true);
    expect(retryHelps(errno('EBUSY'))).toBe(true);
  });

  it('no where the same input fails the same way', () => {
    for (const code of ['WRONG_BUILD_ID', 'VERSION', 'LOCAL_FILE', 'BAD_DEST', 'PIO_MISSING', 'CANCELLED'] as const)
      expect(retryHelps(new TransferError(code, 'x')), code).toBe(false);
    for (const s of [Status.FULL, Status.REFUSED, Status.TOO_LARGE, Status.VERSION, Status.NAME_TOO_LONG])
      expect(retryHelps(deviceError('write', s)), String(s)).toBe(false);
    expect(retryHelps(new SplitError('this firmware was already split'))).toBe(false);
    expect(retryHelps(errno('ENOENT'))).toBe(false);
    expect(retryHelps(new Error('plain'))).toBe(false);
  });
});
