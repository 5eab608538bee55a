import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisCommands } from '../../src/governance/redis-spend-store.js';

/**
 * A throwaway redis-server on a Unix socket and a minimal RESP2 client for it (tests only: the
 * gateway itself takes any client with ioredis's `call` shape).
 */
export interface TestRedis {
  client: RedisCommands;
  close(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-redis-'));
  const socketPath = join(directory, 'redis.sock');
  const server: ChildProcess = spawn('redis-server', ['--port', '0', '--unixsocket', socketPath, '--save', '', '--appendonly', 'no', '--dir', directory], { stdio: 'ignore' });
  let socket: Socket | undefined;
  for (let attempt = 0; attempt < 100 && socket === undefined; attempt++) {
    socket = await new Promise<Socket | undefined>((resolve) => {
      const candidate = connect(socketPath);
      candidate.once('connect', () => resolve(candidate));
      candidate.once('error', () => resolve(undefined));
    });
    if (socket === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (socket === undefined) throw new Error('redis-server did not start');
  const client = new RespClient(socket);
  return {
    client,
    async close() {
      socket!.destroy();
      server.kill();
      await new Promise((resolve) => server.once('exit', resolve));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

type Reply = string | number | null | Reply[] | Error;

class RespClient implements RedisCommands {
  private buffer = Buffer.alloc(0);
  private readonly waiting: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parse(this.buffer, 0);
        if (parsed === undefined) break;
        this.buffer = this.buffer.subarray(parsed.end);
        const next = this.waiting.shift()!;
        if (parsed.value instanceof Error) next.reject(parsed.value);
        else next.resolve(parsed.value);
      }
    });
  }

  call(command: string, ...args: (string | number)[]): Promise<unknown> {
    const parts = [command, ...args.map(String)];
    let text = `*${parts.length}\r\n`;
    for (const part of parts) text += `$${Buffer.byteLength(part)}\r\n${part}\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(text);
    });
  }
}

function parse(buffer: Buffer, start: number): { value: Reply; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', start);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[start]!);
  const line = buffer.toString('utf8', start + 1, lineEnd);
  const after = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: after };
    case '-':
      return { value: new Error(line), end: after };
    case ':':
      return { value: Number(line), end: after };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: after };
      if (buffer.length < after + length + 2) return undefined;
      return { value: buffer.toString('utf8', after, after + length), end: after + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: after };
      const items: Reply[] = [];
      let position = after;
      for (let index = 0; index < count; index++) {
        const item = parse(buffer, position);
        if (item === undefined) return undefined;
        items.push(item.value);
        position = item.end;
      }
      return { value: items, end: position };
    }
    default:
      throw new Error(`unexpected RESP type ${type}`);
  }
}
