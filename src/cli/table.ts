/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => visibleLength(r[c] ?? ''))));
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (numeric[c] ? pad(cell, widths[c]!, 'left') : pad(cell, widths[c]!, 'right')))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (s: string) => s.replace(ANSI, '').length;
const pad = (s: string, width: number, side: 'left' | 'right') => {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return side === 'left' ? fill + s : s + fill;
};
