// A real redis-server for the Redis fault cases, configured as a user who wants every acknowledged budget write to
// survive a kill would run it: AOF on (`appendonly yes`, `appendfsync always`), RDB snapshots off. (With
// `everysec`, Redis may postpone an AOF write while an fsync is slow and still reply: a long SIGKILL run on a loaded
// machine lost ~70 000 µUSD of acknowledged settlements that way. REDIS_APPENDFSYNC=everysec runs it so.) Unlike the test helper's server it
// can be killed with SIGKILL (no shutdown, no final save: only what the AOF already holds survives) and paused
// with SIGSTOP / resumed with SIGCONT, and restarted on the same port and data directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RespValue, redisCommand, untilReady } from '../../test/helpers/redis-server.js';

/** The persistence the fault cases run Redis with (the row's detail states it). */
export const REDIS_PERSISTENCE = `appendonly yes, appendfsync ${process.env.REDIS_APPENDFSYNC ?? 'always'}, no RDB snapshots`;

/** A redis-server process the case controls with signals. */
export interface RedisProcess {
  readonly port: number;
  /** Whether it is stopped with SIGSTOP. */
  readonly paused: boolean;
  /** One command on a fresh connection (for reading totals without a client library). */
  command(args: string[]): Promise<RespValue>;
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it answers PING (the AOF is loaded). */
  restart(): Promise<void>;
  /** SIGSTOP: the process keeps its sockets but answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Kills it (resuming it first if paused) and removes its directory. Idempotent. */
  close(): Promise<void>;
}

/** Starts redis-server on a free loopback port with AOF persistence in a fresh temp directory. */
export async function startRedisProcess(
  appendfsync: 'always' | 'everysec' = (process.env.REDIS_APPENDFSYNC as 'everysec' | undefined) ?? 'always',
  binary = 'redis-server',
): Promise<RedisProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'agentrace-redis-fault-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let paused = false;

  const start = async () => {
    const proc = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        appendfsync,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    exited = new Promise((resolve) =>
      proc.once('exit', () => {
        if (child === proc) child = undefined;
        resolve();
      }),
    );
    await untilReady(proc, 10_000);
  };

  const kill = async () => {
    const proc = child;
    if (!proc) return;
    const done = exited;
    proc.kill('SIGKILL');
    paused = false;
    await done;
  };

  await start();
  return {
    port,
    get paused() {
      return paused;
    },
    command: (args) => redisCommand(port, args),
    kill,
    restart: async () => {
      if (child) throw new Error(`redis-server on port ${port} is still running`);
      await start();
      // Accepting connections is not the same as answering: while it replays the AOF Redis replies LOADING.
      for (let i = 0; i < 600; i++) {
        const pong = await redisCommand(port, ['PING']).catch((err: unknown) => err);
        if (pong === 'PONG') return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`redis-server on port ${port} did not answer PING within 30 s of its restart`);
    },
    pause: () => {
      child?.kill('SIGSTOP');
      paused = true;
    },
    resume: () => {
      child?.kill('SIGCONT');
      paused = false;
    },
    close: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
