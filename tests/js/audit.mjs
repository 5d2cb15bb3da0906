// GraphQL-over-HTTP conformance audit of a running dxkb server (graphql-http's auditServer).
//
//   node tests/js/audit.mjs http://127.0.0.1:8000/graphql [--json]
//
// Prints one line per audit (ok / warn / error) and a summary; exits 1 when any audit is not ok (an error or a
// warning: the issue asks for none of either), 2 when the audit could not run at all.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const asJson = process.argv.includes('--json');
if (!url) {
  console.error('usage: node tests/js/audit.mjs URL [--json]');
  process.exit(2);
}

let results;
try {
  results = await auditServer({ url });
} catch (error) {
  console.error(`audit could not run against ${url}: ${error}`);
  process.exit(2);
}

const counts = { ok: 0, warn: 0, error: 0 };
const rows = [];
for (const result of results) {
  counts[result.status] += 1;
  const row = { id: result.id, status: result.status, name: result.name };
  if (result.status !== 'ok') {
    row.reason = result.reason;
    if (result.response) {
      row.response = { status: result.response.status, contentType: result.response.headers.get('content-type') };
      try {
        row.response.body = await result.response.text();
      } catch {
        row.response.body = '(unreadable)';
      }
    }
  }
  rows.push(row);
}

if (asJson) {
  console.log(JSON.stringify({ url, counts, results: rows }, null, 2));
} else {
  for (const row of rows) {
    console.log(`${row.status.padEnd(5)} ${row.id} ${row.name}`);
    if (row.reason) console.log(`      ${row.reason}`);
    if (row.response) console.log(`      -> ${row.response.status} ${row.response.contentType} ${row.response.body}`);
  }
  console.log(`\n${counts.ok} ok, ${counts.warn} warnings, ${counts.error} errors (${url})`);
}
process.exit(counts.warn + counts.error > 0 ? 1 : 0);
