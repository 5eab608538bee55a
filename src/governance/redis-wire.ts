import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

const require = createRequire(import.meta.url);

/**
 * A Redis command's arguments written in RESP (`$<bytes>\r\n<text>\r\n` each) as they are added.
 *
 * The ledger's scripts take about a hundred arguments per request (nine counters' keys, limits,
 * amounts, window ends), sent in one call per turn of the event loop. Handed to ioredis as an
 * array, each argument cost about 0.1 µs twice over (the command's `args.flat()` and its
 * `toWritable`, which measures every argument's UTF-8 length), plus the garbage of both: written
 * here, a counter's key is a text made once and kept (CounterText), and numbers need no measuring.
 */
export class RespArguments {
  text = '';
  count = 0;

  /** Text of ASCII characters only (numbers, ids the gateway made): its length is its byte count. */
  ascii(value: string): void {
    this.text += `$${value.length}\r\n${value}\r\n`;
    this.count++;
  }

  /** Any text. */
  add(value: string): void {
    this.text += bulkString(value);
    this.count++;
  }

  /** An argument already written by bulkString (kept from an earlier command). */
  written(bulk: string): void {
    this.text += bulk;
    this.count++;
  }

  /** The arguments of `other`, after these. */
  append(other: RespArguments): void {
    this.text += other.text;
    this.count += other.count;
  }
}

/** `value` as one RESP bulk string. */
export function bulkString(value: string): string {
  return `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
}

/** An EVALSHA (`script` its SHA-1) or EVAL (`script` its text) of `keys` and `args`, as RESP. */
export function scriptCommand(command: 'EVALSHA' | 'EVAL', script: string, keys: RespArguments, args: RespArguments): string {
  const numberOfKeys = String(keys.count);
  return `*${3 + keys.count + args.count}\r\n${bulkString(command)}${bulkString(script)}$${numberOfKeys.length}\r\n${numberOfKeys}\r\n${keys.text}${args.text}`;
}

/** Sends a command written in RESP, answered as `redis.call` answers (bulk strings as text). */
export interface WireSender {
  send(name: string, wire: string): Promise<unknown>;
  /** Commands sent by `work` leave in one socket write (instead of one each). */
  together(work: () => void): void;
}

/**
 * The sender of an ioredis client: an ioredis Command with no arguments whose written form is
 * `wire`, sent with `sendCommand` (ioredis's own queueing, reconnection and reply matching apply).
 */
export function ioredisWire(client: Pick<Redis, 'sendCommand'> & { readonly stream?: { cork(): void; uncork(): void } | undefined }): WireSender {
  // Loaded here, when a Redis ledger is opened: the embedded default needs no Redis client.
  const { Command } = require('ioredis') as typeof import('ioredis');
  return {
    send(name, wire) {
      const command = new Command(name, [], { replyEncoding: 'utf8' });
      command.toWritable = () => wire;
      return client.sendCommand(command) as Promise<unknown>;
    },
    together(work) {
      const stream = client.stream;
      stream?.cork();
      try {
        work();
      } finally {
        stream?.uncork();
      }
    },
  };
}
