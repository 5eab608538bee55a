import { isoTime } from './iso-time.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /**
   * A line whose fields the caller has already written as JSON members (`"a":1,"b":"x"`, no
   * braces; empty for none): for the one line per request, whose fields are known in advance.
   */
  fieldsJson(level: LogLevel, message: string, members: string): void;
  /** Writes whatever is buffered. */
  flush(): void;
}

/** Where lines go when `write` is not given: a stream that may buffer (stdout on a pipe does). */
export interface LogStream {
  write(text: string): boolean;
  /** Bytes accepted and not yet handed to the operating system. */
  readonly writableLength: number;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go, as a function that takes them whatever happens (tests). */
  write?: (text: string) => void;
  /** Where lines go otherwise; stdout by default. */
  stream?: LogStream;
  /** Bytes the stream may hold unwritten before lines are dropped (and counted); 16 MiB by default. */
  maxBacklogBytes?: number;
  /**
   * Gather lines for up to this many milliseconds before writing them (0: at the end of the
   * event-loop turn). On a file, stdout writes are synchronous: at low concurrency every request
   * would pay its own system call. `MAX_BUFFERED_LINES` lines are written at once regardless.
   */
  coalesceMs?: number;
}

const MAX_BUFFERED_LINES = 512;
/**
 * Characters gathered at most before a write. The lines are joined into one string per write, and
 * a string over 128 KiB goes to V8's large-object space, on fresh pages: building and joining 512
 * request lines of about 330 characters took 1.75 µs a line, 256 of them 0.38 µs.
 */
const MAX_BUFFERED_CHARS = 64 * 1024;
const DEFAULT_MAX_BACKLOG_BYTES = 16 * 1024 * 1024;

/**
 * Writes to `stream` unless it already holds `maxBacklogBytes` unwritten: stdout on a pipe is
 * asynchronous, and a log collector that stops reading would otherwise grow the gateway's memory
 * until it failed. Dropped text is counted, and the first write after the stream caught up starts
 * with a line saying how much was lost. (On a file or a terminal stdout writes synchronously and
 * never holds anything back.)
 */
function boundedWrite(stream: LogStream, maxBacklogBytes: number): (text: string) => void {
  let droppedLines = 0;
  let droppedBytes = 0;
  return (text) => {
    if (stream.writableLength >= maxBacklogBytes) {
      for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) droppedLines++;
      droppedBytes += Buffer.byteLength(text);
      return;
    }
    if (droppedLines > 0) {
      stream.write(`{"time":"${isoTime(Date.now())}","level":"warn","msg":"log lines dropped","lines":${droppedLines},"bytes":${droppedBytes},"reason":"the log output was not being read"}\n`);
      droppedLines = 0;
      droppedBytes = 0;
    }
    stream.write(text);
  };
}

/**
 * Structured JSON lines, one per event. Lines are buffered and written together (at the end of the
 * event-loop turn, or after `coalesceMs`), so logging costs the request path one array push.
 */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = RANK[options.level];
  const write = options.write ?? boundedWrite(options.stream ?? process.stdout, options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES);
  const coalesceMs = options.coalesceMs ?? 0;
  let buffer: string[] = [];
  let bufferedChars = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buffer.length === 0) return;
    const text = buffer.join('');
    buffer = [];
    bufferedChars = 0;
    write(text);
  };
  const push = (line: string) => {
    buffer.push(line);
    bufferedChars += line.length;
    if (buffer.length >= MAX_BUFFERED_LINES || bufferedChars >= MAX_BUFFERED_CHARS) return flush();
    if (!scheduled) {
      scheduled = true;
      if (coalesceMs > 0) setTimeout(flush, coalesceMs).unref();
      else setImmediate(flush);
    }
  };
  const head = (level: LogLevel, message: string) => `{"time":"${isoTime(Date.now())}","level":"${level}","msg":${messageJson(message)}`;
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < threshold) return;
    const rest = fields === undefined ? '{}' : serializeFields(fields);
    push(rest.length <= 2 ? `${head(level, message)}}\n` : `${head(level, message)},${rest.slice(1)}\n`);
  };
  const fieldsJson = (level: LogLevel, message: string, members: string) => {
    if (RANK[level] < threshold) return;
    push(members.length === 0 ? `${head(level, message)}}\n` : `${head(level, message)},${members}}\n`);
  };
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
    fieldsJson,
    flush,
  };
}

/** Messages are a few constant texts: each is escaped once (up to a bound), not once per line. */
const MESSAGES_KEPT = 1024;
const messages = new Map<string, string>();

function messageJson(message: string): string {
  let json = messages.get(message);
  if (json === undefined) {
    json = JSON.stringify(message);
    if (messages.size >= MESSAGES_KEPT) messages.clear();
    messages.set(message, json);
  }
  return json;
}

/**
 * Fields as a JSON object. A replacer function takes JSON.stringify off its fast path, so it is
 * used only when a value is an object (it may be or hold an Error or a bigint); a request line's
 * fields are all plain values.
 */
function serializeFields(fields: Record<string, unknown>): string {
  for (const key in fields) {
    const value = fields[key];
    if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') return JSON.stringify(fields, errorReplacer);
  }
  return JSON.stringify(fields);
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
