export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Writes whatever is buffered. */
  flush(): void;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stdout by default. */
  write?: (text: string) => void;
}

/**
 * Structured JSON lines, one per event. Lines are buffered and written once per event-loop turn,
 * so logging costs the request path one array push.
 */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = RANK[options.level];
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  let buffer: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buffer.length === 0) return;
    const text = buffer.join('');
    buffer = [];
    write(text);
  };
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < threshold) return;
    buffer.push(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }, errorReplacer)}\n`);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
    flush,
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
