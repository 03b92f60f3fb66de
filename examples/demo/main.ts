/**
 * agentrace demo, the command line: `npx -y pnpm@10.34.9 demo` from the repository root (builds the packages,
 * then runs this file); `pnpm demo --help` lists the options.
 *
 * The model providers are SIMULATED: nothing leaves the machine and no API key is needed.
 */
import { runCli } from './cli.js';

const controller = new AbortController();
const stop = () => controller.abort(new Error('interrupted'));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
// `pnpm demo | head` closes stdout early: the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
process.off('SIGINT', stop);
process.off('SIGTERM', stop);
