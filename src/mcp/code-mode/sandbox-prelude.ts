/**
 * JavaScript evaluated in each sandbox before the caller's code. It evaluates to a function the
 * host calls once with its two bridge functions (kept in this closure, never on `globalThis`), the
 * result size limit and the caller's tools as `{ server: [tool, …] }`, and installs:
 * - `servers.<server>.<tool>(args)`: calls the tool through the host (a name and JSON text cross
 *   the boundary), resolving to its result (JSON parsed when it is JSON). A name that is not
 *   listed still goes to the host, so a refusal is the gateway's own, naming the rule.
 * - `console.log/info/warn/error/debug`: captured lines (each value JSON-formatted, cut in here;
 *   once the host has cut the output, lines are no longer formatted or sent).
 * - `__tollgate_finish`: turns the code's return value into JSON text, refusing one too large
 *   (non-writable, so the code cannot swap it).
 */
export const SANDBOX_PRELUDE = String.raw`(function install(call, log, maxResultChars, catalogJson) {
  'use strict';
  // Kept here, so code that replaces JSON's methods cannot change what crosses the boundary.
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const catalog = parse(catalogJson);
  const format = (value) => {
    if (typeof value === 'string') return value;
    try {
      const text = stringify(value);
      return text === undefined ? String(value) : text;
    } catch (error) {
      return String(value);
    }
  };
  let accepting = true;
  const line = (level) => (...values) => {
    if (!accepting) return;
    let text = values.map(format).join(' ');
    if (text.length > maxResultChars) text = text.slice(0, maxResultChars);
    accepting = log(level === 'log' || level === 'info' ? text : '[' + level + '] ' + text) !== false;
  };
  const consoleObject = Object.freeze({ log: line('log'), info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug') });
  const toolFunction = (server, tool) => {
    const name = server + '__' + tool;
    return async function (args) {
      const text = await call(name, stringify(args === undefined ? {} : args));
      return parse(text);
    };
  };
  const serverObject = (server, tools) => {
    const known = Object.create(null);
    for (const tool of tools) known[tool] = toolFunction(server, tool);
    return new Proxy(known, {
      get(target, key) {
        if (typeof key !== 'string' || key === 'then') return undefined;
        return key in target ? target[key] : toolFunction(server, key);
      },
      set() { return false; },
      defineProperty() { return false; },
      deleteProperty() { return false; },
    });
  };
  const known = Object.create(null);
  for (const server of Object.keys(catalog)) known[server] = serverObject(server, catalog[server]);
  const servers = new Proxy(known, {
    get(target, key) {
      if (typeof key !== 'string' || key === 'then') return undefined;
      return key in target ? target[key] : serverObject(key, []);
    },
    set() { return false; },
    defineProperty() { return false; },
    deleteProperty() { return false; },
  });
  const finish = (value) => {
    if (value === undefined) return undefined;
    const text = stringify(value);
    if (text !== undefined && text.length > maxResultChars) throw new RangeError('the returned value is ' + text.length + ' characters as JSON, more than the ' + maxResultChars + ' allowed; return less (or a summary)');
    return text;
  };
  Object.defineProperty(globalThis, 'servers', { value: servers, writable: false, configurable: false, enumerable: false });
  Object.defineProperty(globalThis, 'console', { value: consoleObject, writable: false, configurable: false, enumerable: false });
  Object.defineProperty(globalThis, '__tollgate_finish', { value: finish, writable: false, configurable: false, enumerable: false });
})`;
