import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

export const USAGE = `Usage:
  tollgate [--config <file>] [--port <n>] [--host <address>] [--workers [<n>|auto]]
                                                               start the gateway
  tollgate validate <file>                                     check a config file without starting
  tollgate audit verify --config <file> [--expect-head <seq>:<hash>]
                                                               verify the audit log's hash chain
  tollgate prices update [--url <url>] [--out <file>]        download a newer genai-prices data file
                                                               (default --out genai-prices.json); point
                                                               the config's pricing_data at it
  tollgate reconcile --config <file> [--from <time>] [--to <time>] [--json]
                                                               prove every budget window's spend
                                                               equals its request-log charges
  tollgate admin hash-password                                 print an admin.users password_hash (the
                                                               password from stdin, or asked for twice)
  tollgate --help | --version

Options:
  -c, --config <file>   YAML or JSON config (default: ./tollgate.yaml). \${VAR} references are
                        expanded from the environment.
  -p, --port <n>        listen port; overrides server.port (default 8080). 0 picks a free port.
      --host <address>  listen address; overrides server.host (default 127.0.0.1).
      --workers [<n>|auto]
                        run n worker processes sharing the listen port (node:cluster); without
                        a number, or auto, one per CPU core. Without the flag: one process.
      --expect-head <seq>:<hash>
                        audit verify: also fail when the chain no longer reaches this head
                        (printed by an earlier verify), so removed newest entries show.
      --url <url>       prices update: where to download from (default: the genai-prices
                        project's published data file).
      --out <file>      prices update: where to write it, atomically.
      --from, --to <time>
                        reconcile: only budget windows overlapping this range (ISO 8601 or epoch ms).
      --json            reconcile: print the report as JSON.
  -h, --help            show this help.
  -v, --version         print the version.

Signals: SIGTERM and SIGINT drain in-flight requests and streams (server.shutdown_grace_ms), then exit.
         SIGHUP reloads the config file (providers, keys, models, routes, prices, virtual keys) without a restart.
Exit codes: 0 ok, 1 runtime failure (reconcile, audit verify: a difference found), 2 invalid usage or configuration.`;

export interface CliArguments {
  command: 'serve' | 'validate' | 'audit-verify' | 'prices-update' | 'reconcile' | 'hash-password' | 'help' | 'version';
  config: string | undefined;
  port: number | undefined;
  host: string | undefined;
  /** `--workers`: worker processes (resolved from `auto`); undefined: one process, no cluster. */
  workers?: number;
  /** audit verify: a head recorded earlier (`<seq>:<hash>`). */
  expectHead?: string;
  /** prices update: source URL and output path. */
  url?: string;
  out?: string;
  /** reconcile: the range of budget windows, and JSON output. */
  from?: string;
  to?: string;
  json?: boolean;
}

export class UsageError extends Error {}

export function parseCliArguments(argv: readonly string[], cores = availableParallelism()): CliArguments {
  const parsed = parseOptions(withWorkerValue(argv));
  const workers = parsed.values.workers === undefined ? undefined : workerCount(parsed.values.workers, cores);
  const result = interpret(parsed);
  return workers === undefined ? result : { ...result, workers };
}

/** `--workers` given bare (last, or before another option) means `auto`. */
function withWorkerValue(argv: readonly string[]): string[] {
  const args = [...argv];
  for (let index = 0; index < args.length; index++) {
    if (args[index] !== '--workers') continue;
    const next = args[index + 1];
    if (next === undefined || next.startsWith('-')) args.splice(index + 1, 0, 'auto');
  }
  return args;
}

function workerCount(value: string, cores: number): number {
  if (value === 'auto' || value === '') return Math.max(1, cores);
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 256) throw new UsageError(`--workers must be auto or an integer from 1 to 256, got ${value}`);
  return count;
}

function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'expect-head': { type: 'string' },
        url: { type: 'string' },
        out: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean' },
        workers: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function interpret(parsed: ReturnType<typeof parseOptions>): CliArguments {
  const { values, positionals } = parsed;
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got ${values.port}`);
  }
  if (values.help) return { command: 'help', config: undefined, port, host: values.host };
  if (values.version) return { command: 'version', config: undefined, port, host: values.host };
  const [first, second, third] = positionals;
  if (first === undefined) return { command: 'serve', config: values.config, port, host: values.host };
  if (first === 'validate') {
    const file = second ?? values.config;
    if (file === undefined) throw new UsageError('validate needs a file: tollgate validate <file>');
    return { command: 'validate', config: file, port, host: values.host };
  }
  if (first === 'audit' && second === 'verify') {
    const file = values.config ?? third;
    if (file === undefined) throw new UsageError('audit verify needs --config <file>');
    return { command: 'audit-verify', config: file, port, host: values.host, ...(values['expect-head'] === undefined ? {} : { expectHead: values['expect-head'] }) };
  }
  if (first === 'prices' && second === 'update') {
    if (third !== undefined) throw new UsageError(`prices update takes no argument \`${third}\`: use --url and --out`);
    return { command: 'prices-update', config: values.config, port, host: values.host, ...(values.url === undefined ? {} : { url: values.url }), ...(values.out === undefined ? {} : { out: values.out }) };
  }
  if (first === 'reconcile') {
    const file = values.config ?? second;
    if (file === undefined) throw new UsageError('reconcile needs --config <file>');
    return { command: 'reconcile', config: file, port, host: values.host, from: values.from, to: values.to, json: values.json === true };
  }
  if (first === 'admin' && second === 'hash-password') {
    if (third !== undefined) throw new UsageError('admin hash-password takes no argument: it reads the password from stdin');
    return { command: 'hash-password', config: undefined, port, host: values.host };
  }
  throw new UsageError(`unknown command \`${positionals.join(' ')}\``);
}
