// Adds up the vitest and Playwright JSON reports it is given (any number: vitest.json, one
// Playwright report per engine) into one closing line: "N passed, N failed, N skipped". A report
// that is missing, or a run that stopped before its tests (a web server that would not start),
// counts as a failure.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.log(`${file}: missing (that suite did not run)`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  if (report.stats) {
    // Playwright
    const { expected = 0, unexpected = 0, flaky = 0, skipped: s = 0 } = report.stats;
    // Errors outside any test: a web server that did not start, a config that did not load.
    const errors = Array.isArray(report.errors) ? report.errors.length : 0;
    const note = errors ? ` (+${errors} error${errors === 1 ? '' : 's'} outside the tests: ${firstLine(report.errors[0])})` : '';
    console.log(`${file}: ${expected} passed, ${unexpected + flaky} failed, ${s} skipped${note}`);
    passed += expected;
    failed += unexpected + flaky + errors;
    skipped += s;
  } else {
    // vitest
    const { numPassedTests = 0, numFailedTests = 0, numPendingTests = 0, numTodoTests = 0, success } = report;
    // A file that failed outside its tests (a beforeAll that threw) fails no test, only the run.
    const outside = success === false && numFailedTests === 0 ? 1 : 0;
    const note = outside ? ' (+1 failure outside the tests)' : '';
    console.log(`${file}: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped${note}`);
    passed += numPassedTests;
    failed += numFailedTests + outside;
    skipped += numPendingTests + numTodoTests;
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);

function firstLine(error) {
  return String(error?.message ?? error ?? '').split('\n')[0].slice(0, 160);
}
