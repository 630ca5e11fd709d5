// GitHub Actions expressions, evaluated by GitHub's own evaluator (@actions/expressions, the
// library of github.com/actions/languageservices; its testdata is the shared conformance suite
// of the expression language).
//
// stdin: a JSON array of {expression, context, status}; stdout: a JSON array of results.
// `expression` is a job's `if:` (without `${{ }}`) or the inside of one `${{ }}`; `context` is
// the contexts (`needs`, `github`, `inputs`, ...) as plain JSON; `status` says what the status
// functions see for a job-level `if:` (`needs` results, and whether the run was cancelled).
//
// The status functions are the runner's, not the library's (it leaves them to its host), and
// are given here as GitHub documents them for jobs ("Status check functions", docs.github.com
// /actions/reference/workflows-and-actions/expressions#status-check-functions):
//   success()   no job it depends on failed or was cancelled, and none was skipped: "If a job
//               fails or is skipped, all jobs that need it are skipped unless the jobs use a
//               conditional expression that causes the job to continue" (jobs.<job_id>.needs);
//   failure()   a job it depends on failed;
//   cancelled() the workflow run was cancelled;
//   always()    true.
// and "a default status check of success() is applied unless you include one of these
// functions": the `if:` of a job that calls none is `success() && (<if>)`.
//
// Usage: node expressions.mjs < cases.json
//        node expressions.mjs --lines   (a batch a line, kept running: see expressions.py)
// Env: EXPRESSIONS_MODULE = path of @actions/expressions' dist/index.js.
import { pathToFileURL } from "node:url";

const module = pathToFileURL(process.env.EXPRESSIONS_MODULE);
const { Lexer, Parser, Evaluator, data } = await import(module.href);
// How an `if:` reads a value (the library's own coercion; "./result.js" in its exports map).
const { truthy } = await import(new URL("./result.js", module).href);

const STATUS = ["success", "failure", "cancelled", "always"];
const info = (name) => ({ name, minArgs: 0, maxArgs: 0 });

function statusFunctions(status) {
  const results = Object.values(status.needs ?? {});
  const defs = {
    success: () => !status.cancelled && results.every((r) => r === "success"),
    failure: () => results.some((r) => r === "failure"),
    cancelled: () => Boolean(status.cancelled),
    always: () => true,
  };
  return new Map(
    STATUS.map((name) => [
      name,
      { ...info(name), call: () => new data.BooleanData(defs[name]()) },
    ]),
  );
}

function evaluate({ expression, context, status }) {
  let source = expression;
  if (status) {
    const calls = STATUS.some((name) => new RegExp(`\\b${name}\\s*\\(`, "i").test(source));
    if (!calls) source = `success() && (${source})`;
  }
  const lexed = new Lexer(source).lex();
  const names = Object.keys(context);
  const parsed = new Parser(lexed.tokens, names, STATUS.map(info)).parse();
  const contexts = JSON.parse(JSON.stringify(context), data.reviver);
  const functions = status ? statusFunctions(status) : undefined;
  const result = new Evaluator(parsed, contexts, functions).evaluate();
  return { value: result.coerceString(), truthy: truthy(result) };
}

if (process.argv.includes("--lines")) {
  // One JSON array of cases a line, one JSON array of results a line back, until stdin ends.
  const { createInterface } = await import("node:readline");
  for await (const line of createInterface({ input: process.stdin })) {
    process.stdout.write(JSON.stringify(JSON.parse(line).map(evaluate)) + "\n");
  }
} else {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  process.stdout.write(JSON.stringify(JSON.parse(input).map(evaluate)));
}
