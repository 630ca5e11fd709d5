// Spawns a `script` input the way changesets/action v2.1.1 does (src/run.ts at
// 8488615a623b1b9c987934bb89eae8af6a946ac1), with the real @actions/exec it bundles (3.0.0):
//   version: exec(script, undefined, { cwd, env })   (a non-zero exit rejects)
//   publish: getExecOutput(script, undefined, { cwd, ignoreReturnCode: true, env })
// @actions/exec splits the string into words itself and spawns the first one without a shell.
// The action's env is process.env plus GITHUB_TOKEN (and CHANGESETS_OUTPUT for publish): the
// caller passes those in this process's environment.
//
// Usage: node action_exec.mjs <version|publish> <cwd> <script>
// Env: ACTIONS_EXEC_MODULE = path of @actions/exec's lib/exec.js in the installed tools.
// Exit code: the command's (version: 1 when exec rejects, as the action then fails).
import { pathToFileURL } from "node:url";

const [mode, cwd, script] = process.argv.slice(2);
const { exec, getExecOutput } = await import(
  pathToFileURL(process.env.ACTIONS_EXEC_MODULE).href
);
const env = { ...process.env };
delete env.ACTIONS_EXEC_MODULE;

if (mode === "version") {
  try {
    await exec(script, undefined, { cwd, env });
  } catch (err) {
    console.error(`action failed: ${err.message}`);
    process.exit(1);
  }
} else if (mode === "publish") {
  const output = await getExecOutput(script, undefined, {
    cwd,
    ignoreReturnCode: true,
    env,
  });
  process.exit(output.exitCode);
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
