/**
 * Advisory ids, summaries and versions come from files hvpatch does not control; a terminal
 * would obey escape sequences hidden in them, so control characters are shown as `?`.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Columns padded to their widest cell; the last column is left ragged. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map(printable));
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `2024-05-18` of an ISO instant, the precision a deadline is read at. */
export function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '-';
}

/** The first few ids, then how many more: table cells stay readable with 60 advisories. */
export function firstFew(items: readonly string[], shown = 2): string {
  if (items.length === 0) return '-';
  const head = items.slice(0, shown).join(', ');
  return items.length > shown ? `${head} +${items.length - shown}` : head;
}
