/**
 * CSV in and out for the forecaster: a header row, then one row per time step; numeric columns
 * are features, one column of dates (2003-12-31, 2003/12/31, 2003-12-31T00:00) is recognised
 * and kept aside. Quoted cells ("a,b", with "" for a quote) are read as RFC 4180 says.
 * Browser-safe (strings in, strings out).
 */

import { ValueError } from '../errors.js';

/** A parsed table: the numeric columns by name, the date column (if any) and the row count. */
export interface Table {
  readonly columns: readonly string[];
  /** values[c][r]: column c (in `columns` order), row r. */
  readonly values: readonly Float64Array[];
  readonly dateColumn: string | null;
  readonly dates: readonly string[] | null;
  readonly rows: number;
}

/** A CSV that cannot be used: the message names the row (1-based, header = row 1) and column. */
export class CsvError extends ValueError {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

function splitRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0].trim() === ''));
}

const DATE = /^\d{4}[-/]\d{1,2}[-/]\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** True for the date formats recognised (ISO-like, year first). */
export function isDate(cell: string): boolean {
  return DATE.test(cell.trim());
}

/**
 * Parse CSV text. `name` is used in messages (the file name). Throws CsvError for an empty file,
 * a row with the wrong number of cells, or a non-numeric cell outside the date column, naming
 * its row and column.
 */
export function parseCsv(text: string, name = 'the CSV'): Table {
  const raw = splitRows(text.replace(/^\uFEFF/, ''));
  if (raw.length === 0) throw new CsvError(`${name} is empty`);
  const header = raw[0].map((h) => h.trim());
  if (header.some((h) => h === '')) throw new CsvError(`${name}: row 1 (the header) has an empty column name at column ${header.indexOf('') + 1}`);
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw new CsvError(`${name}: column "${dup}" appears twice in the header`);
  const body = raw.slice(1);
  if (body.length === 0) throw new CsvError(`${name} has a header but no data rows`);
  body.forEach((r, i) => {
    if (r.length !== header.length) throw new CsvError(`${name}: row ${i + 2} has ${r.length} cells, the header has ${header.length}`);
  });
  // The date column: the first whose first row is a date.
  const dateIdx = header.findIndex((_, c) => isDate(body[0][c]));
  const columns: string[] = [];
  const values: Float64Array[] = [];
  header.forEach((h, c) => {
    if (c === dateIdx) return;
    const col = new Float64Array(body.length);
    for (let r = 0; r < body.length; r++) {
      const cell = body[r][c].trim();
      const v = cell === '' ? Number.NaN : Number(cell);
      if (!Number.isFinite(v)) {
        throw new CsvError(`${name}: row ${r + 2}, column "${h}": ${cell === '' ? 'empty cell' : `"${cell.slice(0, 30)}" is not a number`}`);
      }
      col[r] = v;
    }
    columns.push(h);
    values.push(col);
  });
  let dates: string[] | null = null;
  if (dateIdx >= 0) {
    dates = body.map((r, i) => {
      const cell = r[dateIdx].trim();
      if (!isDate(cell)) throw new CsvError(`${name}: row ${i + 2}, column "${header[dateIdx]}": "${cell.slice(0, 30)}" is not a date like 2003-12-31`);
      return cell;
    });
  }
  return { columns, values, dateColumn: dateIdx >= 0 ? header[dateIdx] : null, dates, rows: body.length };
}

function quote(cell: string): string {
  return /[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** Write rows as CSV text (header first, `\n` line ends). */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return `${[header, ...rows].map((r) => r.map((c) => quote(String(c))).join(',')).join('\n')}\n`;
}
