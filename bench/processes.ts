import { fork, spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { request } from 'undici';
import type { ChildReadyMessage } from './child-ready.js';

/** A server the benchmark started in its own process, so it does not share the load generator's event loop. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** Sends SIGTERM and waits for the process to exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

/** Forks one of the bench's own server scripts; it reports its port over IPC (see child-ready.ts). */
export function forkServer(name: string, script: URL, args: readonly string[]): Promise<ServerProcess> {
  const child = fork(script, [...args], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code, signal) => fail(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`)));
    child.once('message', (message: ChildReadyMessage) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(wrap(name, child, `http://127.0.0.1:${message.port}`));
    });
  });
}

export interface TollgateLaunch {
  /** The repository root (where bin/tollgate.js lives). */
  root: URL;
  configFile: string;
  /** stdout and stderr (the request log included) go to this file, as they would to a log collector. */
  logFile: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags: readonly string[];
  /** Extra tollgate arguments, e.g. `--workers 2`. */
  args?: readonly string[];
  /** Also wait for this line in its output (`--workers`: every worker started), besides `GET /ready`. */
  readyWhen?: RegExp;
}

/** Starts `node bin/tollgate.js --config <file> --port <free port>` and waits until `GET /ready` answers 200. */
export async function startTollgate(launch: TollgateLaunch): Promise<ServerProcess> {
  const port = await findFreePort();
  const logFd = openSync(launch.logFile, 'a');
  const binary = new URL('bin/tollgate.js', launch.root).pathname;
  const child = spawn(process.execPath, [...launch.nodeFlags, binary, '--config', launch.configFile, '--port', String(port), '--host', '127.0.0.1', ...(launch.args ?? [])], {
    cwd: launch.root.pathname,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const origin = `http://127.0.0.1:${port}`;
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `code ${code}, signal ${signal}`));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`Tollgate exited before it was ready (${exited}). Its output:\n${readFileSync(launch.logFile, 'utf8').slice(-4000)}`);
    if ((await isReady(origin)) && (launch.readyWhen === undefined || launch.readyWhen.test(readFileSync(launch.logFile, 'utf8')))) return wrap('tollgate', child, origin);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`Tollgate did not answer GET /ready with 200 within ${START_TIMEOUT_MS} ms. Its output:\n${(await readFile(launch.logFile, 'utf8')).slice(-4000)}`);
}

async function isReady(origin: string): Promise<boolean> {
  try {
    const response = await request(`${origin}/ready`, { reset: true });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

function wrap(name: string, child: ChildProcess, origin: string): ServerProcess {
  if (child.pid === undefined) throw new Error(`${name} has no pid`);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    name,
    pid: child.pid,
    origin,
    async stop(graceMs = 10_000) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Asks the kernel for an unused loopback port (there is a small window before the gateway binds it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in bytes, from /proc (Linux); undefined where /proc is missing. */
export function residentSetBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * User + system CPU time a process and its child processes (the workers of `--workers N`) have used
 * so far, in milliseconds, from /proc (Linux).
 */
export function cpuTimeMs(pid: number): number | undefined {
  const own = processCpuTimeMs(pid);
  if (own === undefined) return undefined;
  let total = own;
  for (const child of childPids(pid)) total += processCpuTimeMs(child) ?? 0;
  return total;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter((text) => text.trim() !== '').map(Number);
  } catch {
    return [];
  }
}

function processCpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself contain spaces: state is the first, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** `getconf CLK_TCK`: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The machine's CPU time in clock ticks, all cores (/proc/stat): busy, and in all (idle and I/O wait included). */
export function machineCpuTicks(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    // user nice system idle iowait irq softirq steal
    return { busy: total - fields[3]! - fields[4]!, total };
  } catch {
    return undefined;
  }
}

/** What the machine did between two readings of machineCpuTicks. */
export function machineCpuBetween(before: { busy: number; total: number } | undefined, after: { busy: number; total: number } | undefined): { busy: number; total: number } | undefined {
  return before === undefined || after === undefined ? undefined : { busy: after.busy - before.busy, total: after.total - before.total };
}
