// Output paths built from names that come from files (ELF section names, manifests): the
// name must be one plain file name, and the joined path is checked to stay in its folder,
// so no name can write outside the folder it was given, whatever the name checks upstream.
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Esp32mmError } from '../errors';

export class PathEscapeError extends Esp32mmError {
  readonly code = 'PATH_ESCAPE';
  constructor(
    readonly folder: string,
    readonly fileName: string,
  ) {
    super(`refusing to write ${JSON.stringify(fileName)}: it is not a plain file name inside ${folder}`);
  }
}

/** `folder/name`, or PathEscapeError when `name` is not one file name inside `folder`. */
export function fileInside(folder: string, name: string): string {
  const dir = resolve(folder);
  const path = join(dir, name);
  const rel = relative(dir, path);
  const plain = name !== '' && !/[/\\\0]/.test(name) && name !== '.' && name !== '..';
  if (!plain || rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel !== name) throw new PathEscapeError(dir, name);
  return path;
}
