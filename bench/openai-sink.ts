// A loopback OpenAI Chat Completions endpoint for zero-code.ts, run as a child process so its CPU time is not the
// bench's. SIMULATED: every POST gets the same completion (openai-completion.ts). Tells its
// parent the port over IPC.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { COMPLETION } from './openai-completion.js';

const server = createServer((req, res) => {
  req.resume().on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_sim' });
    res.end(COMPLETION);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
