/**
 * The births data shipped with the page (web/public/us-births-1994-2003.txt, written by
 * web/make-births.mjs): one value per day from a first date, expanded back into the CSV text of
 * assets/us-births-1994-2003.csv, so training here reads exactly what `torchlet train` reads.
 */

export const BIRTHS_FILE = 'us-births-1994-2003.txt';
/** The name the CLI records for its built-in data (src/cli/train.ts BIRTHS_NAME). */
export const BIRTHS_NAME = '(built-in) US daily births 1994-2003, CDC/NCHS';

/** The compact file's text → `date,births` CSV text. */
export function birthsCsv(compact: string): string {
  const [header, values] = compact.trim().split('\n');
  const m = /from (\d{4}-\d{2}-\d{2})$/.exec(header ?? '');
  if (!m || values === undefined) throw new Error('the births file is not in the expected format');
  const start = Date.parse(`${m[1]}T00:00:00Z`);
  const lines = values.split(',').map((v, i) => `${new Date(start + i * 86_400_000).toISOString().slice(0, 10)},${v}`);
  return `date,births\n${lines.join('\n')}\n`;
}

/** Keep the header and the last `rows` rows of a CSV text (all when rows is 0 or more than there are). */
export function lastRows(csv: string, rows: number): string {
  const lines = csv.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  if (rows <= 0 || rows >= lines.length - 1) return csv;
  return `${[lines[0], ...lines.slice(lines.length - rows)].join('\n')}\n`;
}
