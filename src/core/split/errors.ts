// The split's error type, in its own file so that every part of the split (library names,
// the split itself) can raise it without importing each other.
import { Esp32mmError, type ErrorCode } from '../errors';
export class SplitError extends Esp32mmError {
  readonly code: ErrorCode = 'SPLIT';
}
