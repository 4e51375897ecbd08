// Number formatting for the webview: exact bytes with thousands separators (the same digits
// `esp32mm map --json` prints, so users and tests can compare) plus a short KiB form.

export function bytes(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function kib(n: number): string {
  if (Math.abs(n) < 1024) return `${n} B`;
  if (Math.abs(n) < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

export function percent(part: number, whole: number): string {
  if (whole <= 0) return '–';
  return `${((100 * part) / whole).toFixed(part > 0 && part < whole / 1000 ? 2 : 1)}%`;
}
