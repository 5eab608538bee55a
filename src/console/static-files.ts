import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

/** One built file of the console, read into memory at start-up (the bundle is small). */
export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Vite's content-hashed assets never change under their name: cached for a year. */
  immutable: boolean;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/**
 * Every file under `root`, keyed by its path relative to it with `/` separators (`index.html`,
 * `assets/index-3f2a.js`). Only these are ever served: a requested path is a key or nothing, so no
 * path outside the folder can be reached. An absent folder (the console not built) gives an empty map.
 */
export async function loadStaticFiles(root: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  let entries: string[];
  try {
    entries = await readdir(root, { recursive: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    const full = join(root, entry);
    let body: Buffer;
    try {
      body = await readFile(full);
    } catch {
      continue; // a directory
    }
    const name = relative(root, full).split(sep).join('/');
    files.set(name, { body, contentType: CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream', immutable: name.startsWith('assets/') });
  }
  return files;
}
