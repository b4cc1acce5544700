// inspect-report.cjs WORK OUTFILE: summarise the Inspector runs saved in WORK (N.method,
// N.rc, N.out, N.err for N = 1, 2, ...): one line per method, the raw results as JSON in
// OUTFILE, and a last line `inspect: tools=N resources=N templates=N prompts=N errors=K`.
// Exit 1 when any call failed (non-zero exit, output that is not JSON, or a JSON-RPC error).
const fs = require('fs');
const path = require('path');

const [work, outfile] = process.argv.slice(2);
const lists = { 'tools/list': 'tools', 'resources/list': 'resources', 'resources/templates/list': 'resourceTemplates', 'prompts/list': 'prompts' };
const report = { results: {}, counts: {} };
let errors = 0;
for (let i = 1; fs.existsSync(path.join(work, `${i}.method`)); i++) {
  const read = (ext) => fs.readFileSync(path.join(work, `${i}.${ext}`), 'utf8');
  const method = read('method').trim();
  const exitCode = Number(read('rc').trim());
  const stderr = read('err');
  let result = null;
  try { result = JSON.parse(read('out')); } catch {}
  report.results[method] = { exitCode, result, stderr: stderr.slice(0, 20000) };
  if (exitCode !== 0 || result === null || result.error) {
    errors++;
    const why = (result && result.error && (result.error.message || JSON.stringify(result.error)))
      || stderr.trim().split('\n').filter(Boolean).pop() || `exit ${exitCode}`;
    console.log(`${method}: ERROR (exit ${exitCode}) ${String(why).slice(0, 300)}`);
    continue;
  }
  if (method === 'initialize') {
    const info = result.serverInfo || {};
    console.log(`initialize: ${info.name} ${info.version} protocol ${result.protocolVersion}; capabilities: ${Object.keys(result.capabilities || {}).join(', ')}`);
    continue;
  }
  const key = lists[method];
  const items = Array.isArray(result[key]) ? result[key] : [];
  report.counts[key] = items.length;
  const names = items.map((x) => x.name || x.uri || x.uriTemplate);
  console.log(`${method}: ${items.length}${names.length ? ' (' + names.join(', ') + ')' : ''}`);
}
fs.writeFileSync(outfile, JSON.stringify(report, null, 2) + '\n');
console.log(`raw JSON: ${outfile}`);
const count = (k) => (k in report.counts ? report.counts[k] : 'error');
console.log(`inspect: tools=${count('tools')} resources=${count('resources')} templates=${count('resourceTemplates')} prompts=${count('prompts')} errors=${errors}`);
process.exit(errors ? 1 : 0);
