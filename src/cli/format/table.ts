/**
 * @module Plain-text tables in Multipass's style: left-aligned columns, at least two spaces apart. Pure.
 */

/** Renders a header row and data rows; the last column is not padded. */
export function renderTable(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)));
  const lines = all.map((row) =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd((widths[col] ?? 0) + 2)))
      .join('')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}
