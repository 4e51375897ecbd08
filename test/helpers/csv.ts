// RFC 4180 CSV (quoted fields, doubled quotes, CRLF), read independently of the product's
// writer in src/core/memmap/views.ts, for tests that check CSV output against JSON.
import { expect } from 'vitest';

export function parseCsv(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && csv[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  expect([field, row], 'the CSV ends with CRLF').toEqual(['', []]);
  return rows;
}
