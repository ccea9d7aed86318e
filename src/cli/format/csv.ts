/**
 * @module CSV (RFC 4180 quoting). Pure.
 */

export function renderCsv(headers: string[], rows: string[][]): string {
  return `${[headers, ...rows].map((row) => row.map(quote).join(',')).join('\n')}\n`;
}

function quote(cell: string): string {
  return /[",\n\r]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}
