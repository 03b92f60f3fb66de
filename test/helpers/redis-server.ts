import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** The `redis-server` binary (default: `redis-server` on PATH, Debian's package). */
  binary?: string;
  /** How long to wait for the server to accept connections (ms, default 10 000). */
  startTimeoutMs?: number;
}

/** A `redis-server` the test started: loopback only, a free port, a temp dir, no persistence of its own. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The temp dir it runs in (`--dir`); an RDB snapshot written by `stop({ save: true })` lands here. */
  readonly dir: string;
  /** Whether the process is running. */
  readonly running: boolean;
  /**
   * Sends one command on a fresh connection and resolves with the parsed reply (strings, integers, arrays, null);
   * an error reply rejects. For inspecting the server from a test without a client library.
   */
  command(args: string[]): Promise<RespValue>;
  /**
   * Stops the server with `SHUTDOWN SAVE` (its data is written to `dir` and loaded by the next `start`) or
   * `SHUTDOWN NOSAVE` (default: the data is gone). Resolves once the process has exited.
   */
  stop(opts?: { save?: boolean }): Promise<void>;
  /** Starts it again on the same port and dir (after `stop`). Resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it (without saving) and removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

/** A free TCP port on loopback (the kernel's pick, released before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A RESP2 reply. */
export type RespValue = string | number | null | RespValue[];

/** Parses one RESP2 reply from `buf` at `at`; undefined when more bytes are needed. */
function parseResp(buf: Buffer, at: number): { value: RespValue | Error; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at] as number);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new Error(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next };
      if (buf.length < next + length + 2) return undefined;
      return { value: buf.toString('utf8', next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: RespValue[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buf, pos);
        if (!item) return undefined;
        if (item.value instanceof Error) return item;
        items.push(item.value);
        pos = item.next;
      }
      return { value: items, next: pos };
    }
    default:
      return { value: new Error(`unexpected RESP type ${JSON.stringify(type)}`), next };
  }
}

/** Sends one command over a fresh RESP connection; resolves with the reply, rejects on an error reply. */
export function redisCommand(port: number, args: string[]): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      fn();
    };
    socket.once('error', (err) => finish(() => reject(err)));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const parsed = parseResp(buf, 0);
      if (!parsed) return;
      const { value } = parsed;
      finish(() => (value instanceof Error ? reject(value) : resolve(value)));
    });
    socket.once('close', () => finish(() => reject(new Error('connection closed before a reply'))));
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

/**
 * Resolves once the redis-server `proc` logs that it accepts connections; rejects (with what it printed) when it
 * exits first, fails to spawn, or is not ready within `timeoutMs` (then it is killed).
 */
export function untilReady(proc: ChildProcess, timeoutMs: number): Promise<void> {
  let output = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`redis-server did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        proc.stdout?.resume();
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code} before it was ready:\n${output}`));
    });
  });
}

/**
 * Starts a real `redis-server` for a test: `--port <free> --bind 127.0.0.1 --dir <temp> --save '' --appendonly no`,
 * and resolves once it accepts connections. Always `close()` it (e.g. in `afterAll`).
 *
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * afterAll(() => redis.close());
 * const client = new Redis(redis.port, '127.0.0.1');
 * ```
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? 'redis-server';
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'agentrace-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let closed = false;

  const start = async (): Promise<void> => {
    if (child) throw new Error(`redis-server on port ${port} is already running`);
    const proc = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    exited = new Promise((resolve) =>
      proc.once('exit', () => {
        if (child === proc) child = undefined;
        resolve();
      }),
    );
    await untilReady(proc, startTimeoutMs);
  };

  const stop = async (opts: { save?: boolean } = {}): Promise<void> => {
    const proc = child;
    if (!proc) return;
    const done = exited;
    try {
      await redisCommand(port, ['SHUTDOWN', opts.save ? 'SAVE' : 'NOSAVE']);
    } catch {
      // The connection may be refused or reset while the server goes down; the exit below is what counts.
    }
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await done;
    clearTimeout(killer);
  };

  await start();
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get running() {
      return child !== undefined;
    },
    stop,
    start,
    command: (args) => redisCommand(port, args),
    async close() {
      if (closed) return;
      closed = true;
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
