// The split's error type, in its own file so that every part of the split (library names,
// the split itself) can raise it without importing each other.
export class SplitError extends Error {}
