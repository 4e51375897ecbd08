// What a dynamic library may be called, and the identifier derived from its name: the one
// home of the rule. A name comes from a lib/ folder (custom_mm_libs) or back from an ELF's
// section names; it names the archive `lib<name>.a` and the split's files `<id>_e`/`<id>_d`,
// and its identifier goes into section names (`.mm.<id>.text`) and C symbols
// (`_mm_<id>_text_start`, MM_LIBRARY(<id>, slot) on the device).
//
// Letters, digits, `_` and `-` (ESP-IDF's own component names: `esp-tls`, `protobuf-c`), not
// starting with a digit or `-`. No `.`, `/` or `\`, so a name is never a path.

const LIBRARY_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Whether `name` follows the library-name rule above (length limits are the caller's). */
export function isLibraryName(name: string): boolean {
  return LIBRARY_NAME.test(name);
}

/** The C identifier of a library name: every `-` written as `_` (`esp-tls` → `esp_tls`). */
export function libraryIdentifier(name: string): string {
  return name.replace(/-/g, '_');
}
