// newman_run.js: runs a Postman collection with newman as a library and prints one JSON
// line of figures (requests, failed assertions, run timings, slowest requests). The
// JSON reporter is not used: it serializes every response, megabyte bodies included.
// Usage: node newman_run.js COLLECTION.json TIMEOUT_MS
"use strict";
const newman = require("newman");

const [collectionPath, timeout] = process.argv.slice(2);
const started = Date.now();
newman.run({
  collection: require(collectionPath),
  reporters: [],
  timeoutRequest: Number(timeout || 10000),
}, (err, summary) => {
  if (err) {
    console.error("newman_run: " + err.message);
    process.exit(2);
  }
  const run = summary.run;
  const slow = run.executions
    .filter((e) => e.response)
    .map((e) => [e.response.responseTime, e.item.name])
    .sort((a, b) => b[0] - a[0])
    .slice(0, 5);
  const failures = run.failures.slice(0, 20).map((f) =>
    `${f.source && f.source.name}: ${f.error && f.error.message}`.slice(0, 200));
  console.log("NEWMANJSON " + JSON.stringify({
    requests: run.stats.requests.total,
    request_errors: run.stats.requests.failed,
    assertions: run.stats.assertions.total,
    assertions_failed: run.stats.assertions.failed,
    run_ms: run.timings.completed - run.timings.started,
    process_ms: Date.now() - started,
    slowest: slow,
    failures: failures,
  }));
});
