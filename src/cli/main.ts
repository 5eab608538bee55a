import { access, readFile } from 'node:fs/promises';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile } from '../config/load.js';
import { createGateway } from '../server/gateway.js';
import { createLogger } from '../lib/logger.js';
import { parseCliArguments, USAGE, UsageError, type CliArguments } from './arguments.js';
import { runAuditVerify } from './audit-verify.js';
import { runPricesUpdate } from './prices-update.js';
import { runReconcile } from './reconcile.js';
import { runHashPassword } from './hash-password.js';
import { runPrimary } from './workers.js';
import cluster from 'node:cluster';

async function main(argv: readonly string[]): Promise<number> {
  let args: CliArguments;
  try {
    args = parseCliArguments(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tollgate: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  switch (args.command) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case 'version':
      process.stdout.write(`${await version()}\n`);
      return 0;
    case 'validate':
      return validate(args.config!);
    case 'audit-verify':
      return runAuditVerify(args.config!, args.expectHead);
    case 'prices-update':
      return runPricesUpdate(args.url, args.out);
    case 'reconcile':
      return runReconcile({ config: args.config!, from: args.from, to: args.to, json: args.json === true });
    case 'hash-password':
      return runHashPassword();
    case 'serve':
      return serve(args);
  }
}

async function version(): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

async function validate(file: string): Promise<number> {
  try {
    const config = await loadConfigFile(file);
    const gateway = await createGateway({ ...config, storage: { ...config.storage, type: 'memory' }, logging: { ...config.logging, level: 'silent' } }, { configSource: file, modules: [] });
    await gateway.close();
    process.stdout.write(`${file}: valid (${count(Object.keys(config.providers).length, 'provider')}, ${count(Object.keys(config.routes).length, 'route')})\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function count(amount: number, noun: string): string {
  return `${amount} ${noun}${amount === 1 ? '' : 's'}`;
}

async function serve(args: CliArguments): Promise<number> {
  const file = args.config ?? 'tollgate.yaml';
  if (args.config === undefined && !(await exists(file))) {
    process.stderr.write(`tollgate: no config given and ./tollgate.yaml does not exist. Pass --config <file> (try tollgate.demo.yaml).\n`);
    return 2;
  }
  if (args.workers !== undefined && cluster.isPrimary) return primary(file, args.workers);
  let gateway;
  try {
    const config = await loadConfigFile(file);
    gateway = await createGateway(config, { configSource: file, reloadConfig: () => loadConfigFile(file) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    const logger = createLogger({ level: 'error' });
    logger.error('failed to start', { error });
    logger.flush();
    return 1;
  }
  const address = await gateway.listen(args.port, args.host);
  gateway.logger.info('listening', { url: address.url, config: file, providers: Object.keys(gateway.config.providers), pricing: gateway.pricing });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      gateway.logger.info('shutting down', { signal, grace_ms: gateway.config.server.shutdown_grace_ms });
      gateway.close().then(
        () => resolve(0),
        (error: unknown) => {
          gateway.logger.error('shutdown failed', { error });
          gateway.logger.flush();
          resolve(1);
        },
      );
    };
    process.on('SIGHUP', () => {
      loadConfigFile(file)
        .then((next) => gateway.reload(next))
        .catch((error: unknown) => gateway.logger.error('config reload failed; the running config stays in effect', { config: file, error: error instanceof ConfigError ? error.message : error }));
    });
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // A `--workers` worker whose primary is gone gets no more connections: drain and exit.
    if (cluster.isWorker) process.once('disconnect', () => stop('primary exited'));
  });
}

/** `--workers N`: checks the config once, then forks the workers (see runPrimary). */
async function primary(file: string, workers: number): Promise<number> {
  let config;
  try {
    config = await loadConfigFile(file);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logging.level });
  logger.info('starting workers', { workers, config: file, primary_pid: process.pid });
  return runPrimary(workers, config, logger);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A `--workers` worker: the IPC channel to the primary would keep the process alive.
    if (cluster.isWorker && process.connected) process.disconnect();
  },
  (error: unknown) => {
    process.stderr.write(`tollgate: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
