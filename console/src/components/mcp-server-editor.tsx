import { useState } from 'preact/hooks';

/** What `GET /admin/mcp/servers` shows of a header's or variable's value instead of the secret. */
export const MASKED = '********';

/** The fields of a server the editor changes, as `GET /admin/mcp/servers` shows them (secrets masked). */
export interface McpServerFields {
  transport: 'stdio' | 'http' | 'sse';
  url?: string;
  command?: string;
  args?: string[];
  headers?: Record<string, string>;
  env?: Record<string, string>;
  timeout_ms: number;
  tool_prices: Record<string, number>;
  price_per_call: number | null;
}

interface Pair {
  name: string;
  value: string;
  /** Masked by the API: left empty, the stored value stays (the masked value is sent back). */
  stored: boolean;
}

const pairsOf = (values: Record<string, string> | undefined): Pair[] => Object.entries(values ?? {}).map(([name, value]) => (value === MASKED ? { name, value: '', stored: true } : { name, value, stored: false }));

/** `search: 0.002` lines → `{ search: 0.002 }` (blank lines dropped). */
function pricesOf(text: string): Record<string, number> {
  const prices: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const at = line.lastIndexOf(':');
    if (line.trim() === '' || at <= 0) continue;
    prices[line.slice(0, at).trim()] = Number(line.slice(at + 1).trim());
  }
  return prices;
}

/**
 * Adds or edits one upstream MCP server: transport, URL (or command and arguments), headers (or
 * environment) with write-only values, timeout and prices. A header the API shows masked keeps its
 * stored value when left empty: the editor sends the mask back, which the API reads as "unchanged".
 * With `named`, a name field first. `auto_execute` and `oauth` are left as they are.
 */
export function McpServerEditor({ name, server, named, onSave, onCancel }: { name: string; server: McpServerFields; named?: boolean; onSave: (name: string, body: Record<string, unknown>) => void; onCancel: () => void }) {
  const [transport, setTransport] = useState(server.transport);
  const [pairs, setPairs] = useState<Pair[]>(pairsOf(server.transport === 'stdio' ? server.env : server.headers));
  const change = (index: number, field: 'name' | 'value', value: string) => setPairs((previous) => previous.map((pair, at) => (at === index ? { ...pair, [field]: value } : pair)));
  const secretsField = transport === 'stdio' ? 'env' : 'headers';
  return (
    <form
      class="provider-form"
      data-testid="mcp-server-form"
      aria-label={named ? 'New MCP server' : `Edit MCP server ${name}`}
      autoComplete="off"
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        const text = (field: string) => String(data.get(field) ?? '').trim();
        const values = Object.fromEntries(pairs.filter((pair) => pair.name.trim() !== '').map((pair) => [pair.name.trim(), pair.value === '' && pair.stored ? MASKED : pair.value]));
        const pricePerCall = text('price_per_call');
        const body: Record<string, unknown> = {
          transport,
          ...(transport === 'stdio' ? { command: text('command'), args: text('args') === '' ? [] : text('args').split(/\s+/) } : { url: text('url') }),
          [secretsField]: values,
          timeout_ms: Number(text('timeout_ms')),
          tool_prices: pricesOf(String(data.get('tool_prices') ?? '')),
          ...(pricePerCall === '' ? {} : { price_per_call: Number(pricePerCall) }),
        };
        onSave(named ? text('name') : name, body);
      }}
    >
      <div class="grid-form">
        {named && (
          <label>
            Name (its tools are called name__tool)
            <input name="name" data-testid="mcp-server-name" required pattern="[A-Za-z0-9_\-]{1,128}" />
          </label>
        )}
        <label>
          Transport
          <select name="transport" data-testid="mcp-server-transport" value={transport} onChange={(event) => setTransport(event.currentTarget.value as McpServerFields['transport'])}>
            <option value="http">http (streamable HTTP)</option>
            <option value="sse">sse (HTTP+SSE)</option>
            <option value="stdio">stdio (a program on the gateway's host)</option>
          </select>
        </label>
        {transport === 'stdio' ? (
          <>
            <label>
              Command
              <input name="command" data-testid="mcp-server-command" required defaultValue={server.command ?? ''} />
            </label>
            <label>
              Arguments (space-separated)
              <input name="args" defaultValue={(server.args ?? []).join(' ')} />
            </label>
          </>
        ) : (
          <label>
            URL
            <input name="url" data-testid="mcp-server-url" type="url" required defaultValue={server.url ?? ''} />
          </label>
        )}
        <label>
          Timeout (ms)
          <input name="timeout_ms" type="number" min="1" step="1" required defaultValue={String(server.timeout_ms)} />
        </label>
        <label>
          Price per call, USD (empty: free)
          <input name="price_per_call" data-testid="mcp-server-price" type="number" min="0" step="any" defaultValue={server.price_per_call === null ? '' : String(server.price_per_call)} />
        </label>
        <label>
          Tool prices (one "tool: USD" a line)
          <textarea name="tool_prices" rows={2} defaultValue={Object.entries(server.tool_prices).map(([tool, usd]) => `${tool}: ${usd}`).join('\n')} />
        </label>
      </div>
      <fieldset>
        <legend>{transport === 'stdio' ? 'Environment variables' : 'Headers'} (values are write-only; ${'{VAR}'} names a gateway variable)</legend>
        {pairs.map((pair, index) => (
          <div class="route-target" data-testid="mcp-server-pair" key={index}>
            <label>
              Name
              <input data-testid="mcp-server-pair-name" value={pair.name} onInput={(event) => change(index, 'name', event.currentTarget.value)} />
            </label>
            <label>
              Value {pair.stored ? '(stored; empty keeps it)' : ''}
              <input data-testid="mcp-server-pair-value" type="password" autoComplete="new-password" value={pair.value} required={!pair.stored && pair.name.trim() !== ''} placeholder={pair.stored ? '••••••••' : ''} onInput={(event) => change(index, 'value', event.currentTarget.value)} />
            </label>
            <button type="button" aria-label={`Remove ${pair.name === '' ? index + 1 : pair.name}`} onClick={() => setPairs((previous) => previous.filter((_, at) => at !== index))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" data-testid="mcp-server-add-pair" onClick={() => setPairs((previous) => [...previous, { name: '', value: '', stored: false }])}>
          Add {transport === 'stdio' ? 'variable' : 'header'}
        </button>
      </fieldset>
      <div class="row-actions">
        <button type="submit" data-testid="mcp-server-save">
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
