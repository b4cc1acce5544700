// summarize.mjs DIR: read the checks.json the suite wrote under DIR and print one line
//   PASS|FAIL <successes> <failures> <warnings> <what failed or warned>
// A scenario passes when none of its checks is a FAILURE (the suite's own rule).
import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';

const dir = process.argv[2];
let checks = null;
if (existsSync(dir)) {
  for (const entry of readdirSync(dir)) {
    const file = join(dir, entry, 'checks.json');
    if (existsSync(file)) { checks = JSON.parse(readFileSync(file, 'utf8')); break; }
  }
}
if (!checks) {
  console.log('FAIL 0 1 0 no checks.json produced (the suite crashed or timed out; see suite.log)');
  process.exit(0);
}
const count = (status) => checks.filter((c) => c.status === status).length;
const failures = checks.filter((c) => c.status === 'FAILURE');
const warnings = checks.filter((c) => c.status === 'WARNING');
const message = (failures.length ? failures : warnings)
  .map((c) => `${c.id}: ${c.errorMessage ?? c.description}`).join(' | ');
console.log(`${failures.length ? 'FAIL' : 'PASS'} ${count('SUCCESS')} ${count('FAILURE')} ${count('WARNING')} ${message}`
  .replace(/\s+/g, ' ').slice(0, 600));
