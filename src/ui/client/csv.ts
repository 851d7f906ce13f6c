/**
 * A table as CSV (RFC 4180: comma-separated, CRLF, quoted when needed), with a UTF-8 byte order
 * mark so that spreadsheet programs read accents right. Numbers are written as numbers (a dot for
 * decimals); text that a spreadsheet would run as a formula (= + - @) is prefixed with '.
 */
export function toCsv(header: string[], rows: unknown[][]): string {
  const field = (value: unknown): string => {
    if (value == null) return '';
    let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = "'" + text;
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  };
  return '\ufeff' + [header, ...rows].map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}
