// GitHub-flavoured Markdown tables, read independently of the product's writer in
// src/core/memmap/export.ts, for tests that check a Markdown export against the model.
import { expect } from 'vitest';

export interface MarkdownTable {
  header: string[];
  align: string[];
  rows: string[][];
}

/** The cells of one `| a | b |` line: split at pipes not escaped with a backslash, `\|` read as `|`. */
function cells(line: string): string[] {
  const body = line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '');
  return body.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Every table of `md`, in order: a header line, a delimiter line (`---`, `---:`), then its rows. */
export function parseMarkdownTables(md: string): MarkdownTable[] {
  const lines = md.split('\n');
  const tables: MarkdownTable[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].startsWith('|') || !/^\|(\s*:?-{3,}:?\s*\|)+$/.test(lines[i + 1].trim())) continue;
    const header = cells(lines[i]);
    const align = cells(lines[i + 1]);
    expect(align.length, `delimiter of the table at line ${i + 1}`).toBe(header.length);
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j].startsWith('|'); j++) {
      const row = cells(lines[j]);
      expect(row.length, `row at line ${j + 1}`).toBe(header.length);
      rows.push(row);
    }
    tables.push({ header, align, rows });
    i = j - 1;
  }
  return tables;
}
