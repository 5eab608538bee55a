import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { count, usd } from '../format.js';
import { canEdit, useWho } from '../session.js';
import { ErrorNote, Section, useLoad } from '../components/ui.js';
import { McpServerEditor, type McpServerFields } from '../components/mcp-server-editor.js';

/** A server of `GET /admin/mcp/servers`: header and variable values masked, with its connection and tools. */
interface ServerView extends McpServerFields {
  name: string;
  source: 'config' | 'api';
  oauth: { client_id: string | null; scopes: string[] } | null;
  state: string;
  last_error: string | null;
  tools: number;
  tool_list?: { name: string; price_usd: number | null }[];
}

interface Row {
  group: Record<string, string | number | boolean | null>;
  requests: number;
  errors: number;
  cost_usd: number;
}

/** `editing` while the new-server form is open (no valid server name is this). */
const NEW_SERVER = ' new';

const STATE_BADGE: Record<string, string> = { connected: 'live', connecting: 'connecting', disconnected: 'closed' };

/**
 * The upstream MCP servers (`/admin/mcp/servers`): transport, endpoint, connection state, tools with
 * their prices, and where each comes from; admins add servers, edit or remove those added here, and
 * start OAuth for servers that use it. Below, the last 24 hours' tool calls per tool from the request log.
 */
export function Mcp() {
  const who = useWho();
  const editor = canEdit(who);
  const from = new Date(Date.now() - 86_400_000).toISOString();
  const servers = useLoad(() => api<{ servers: ServerView[] }>('GET', '/admin/mcp/servers').then((answer) => answer.servers));
  const calls = useLoad(() => api<{ rows: Row[] }>('GET', `/admin/logs/aggregate?from=${encodeURIComponent(from)}&operation=mcp_tool_call&group_by=model`).then((answer) => answer.rows));
  const [editing, setEditing] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [authorization, setAuthorization] = useState<{ server: string; url: string } | undefined>();

  const done = () => {
    setEditing(undefined);
    servers.reload();
  };
  const save = (name: string, body: Record<string, unknown>) => {
    setError(undefined);
    (editing === NEW_SERVER ? api('POST', '/admin/mcp/servers', { name, ...body }) : api('PATCH', `/admin/mcp/servers/${encodeURIComponent(name)}`, body)).then(done, (failure: Error) => setError(failure.message));
  };
  const remove = (name: string) => {
    if (!window.confirm(`Remove the MCP server ${name}? Its tools go away at once.`)) return;
    setError(undefined);
    api('DELETE', `/admin/mcp/servers/${encodeURIComponent(name)}`).then(done, (failure: Error) => setError(failure.message));
  };
  const startOAuth = (name: string) => {
    setError(undefined);
    api<{ authorization_url: string }>('POST', `/admin/mcp/servers/${encodeURIComponent(name)}/oauth/start`).then(
      (answer) => setAuthorization({ server: name, url: answer.authorization_url }),
      (failure: Error) => setError(failure.message),
    );
  };

  const rows = [...(calls.value ?? [])].sort((left, right) => right.requests - left.requests);
  const columns = editor ? 6 : 5;
  return (
    <section data-testid="page-mcp" aria-labelledby="mcp-title">
      <div class="title-row">
        <h1 id="mcp-title">MCP servers</h1>
        <button type="button" onClick={() => servers.reload()}>
          Refresh
        </button>
      </div>
      <ErrorNote error={error ?? servers.error ?? calls.error} />
      {authorization !== undefined && (
        <p role="status" data-testid="mcp-oauth-link">
          Authorize the gateway for {authorization.server}:{' '}
          <a href={authorization.url} target="_blank" rel="noopener noreferrer">
            open the authorization page
          </a>
          ; it comes back to the gateway, which then reconnects.
        </p>
      )}
      <div class="table-wrap">
        <table data-testid="mcp-servers">
          <thead>
            <tr>
              <th scope="col">Server</th>
              <th scope="col">Transport and endpoint</th>
              <th scope="col">State</th>
              <th scope="col">Tools</th>
              <th scope="col">Headers / env</th>
              {editor && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {servers.value !== undefined && servers.value.length === 0 && (
              <tr>
                <td colSpan={columns} class="muted">
                  No MCP servers: define them under mcp.servers in the config file{editor ? ' or add one here' : ''}.
                </td>
              </tr>
            )}
            {(servers.value ?? []).map((server) => {
              const secrets = Object.entries(server.transport === 'stdio' ? (server.env ?? {}) : (server.headers ?? {}));
              return (
                <Fragment key={server.name}>
                  <tr data-server={server.name} data-source={server.source} data-state={server.state}>
                    <td class="mono">
                      {server.name}{' '}
                      <span class={`badge ${server.source === 'api' ? 'paused' : ''}`} data-testid="mcp-server-source" data-value={server.source}>
                        {server.source === 'api' ? 'added here' : 'config file'}
                      </span>
                    </td>
                    <td>
                      {server.transport}
                      <div class="mono small">{server.transport === 'stdio' ? [server.command, ...(server.args ?? [])].join(' ') : server.url}</div>
                    </td>
                    <td>
                      <span class={`badge ${STATE_BADGE[server.state] ?? ''}`} data-testid="mcp-server-state">
                        {server.state}
                      </span>
                      {server.last_error !== null && <div class="muted small cell-note">{server.last_error}</div>}
                      {server.oauth !== null && <div class="muted small">OAuth{server.oauth.scopes.length > 0 ? ` (${server.oauth.scopes.join(' ')})` : ''}</div>}
                    </td>
                    <td data-testid="mcp-server-tools" data-value={String(server.tools)}>
                      {count(server.tools)}
                      <ul class="plain">
                        {(server.tool_list ?? []).map((tool) => (
                          <li class="mono" data-tool={tool.name}>
                            {tool.name}
                            {tool.price_usd === null ? '' : ` · ${usd(tool.price_usd)}/call`}
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td class="mono small">
                      {secrets.length === 0
                        ? '—'
                        : secrets.map(([name, value]) => (
                            <div>
                              {name}: {value}
                            </div>
                          ))}
                    </td>
                    {editor && (
                      <td>
                        <div class="actions">
                          {server.source === 'api' && (
                            <>
                              <button type="button" data-testid="mcp-server-edit" onClick={() => setEditing(server.name)}>
                                Edit
                              </button>
                              <button type="button" data-testid="mcp-server-remove" onClick={() => remove(server.name)}>
                                Remove
                              </button>
                            </>
                          )}
                          {server.oauth !== null && (
                            <button type="button" data-testid="mcp-server-oauth" onClick={() => startOAuth(server.name)}>
                              Start OAuth
                            </button>
                          )}
                        </div>
                      </td>
                    )}
                  </tr>
                  {editing === server.name && (
                    <tr class="detail-row">
                      <td colSpan={columns}>
                        <McpServerEditor name={server.name} server={server} onSave={save} onCancel={() => setEditing(undefined)} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
      {editor &&
        (editing === NEW_SERVER ? (
          <div class="route" data-testid="mcp-server-new-form">
            <h2>New MCP server</h2>
            <McpServerEditor name="" named server={{ transport: 'http', timeout_ms: 60_000, tool_prices: {}, price_per_call: null }} onSave={save} onCancel={() => setEditing(undefined)} />
          </div>
        ) : (
          <div class="row-actions">
            <button type="button" data-testid="mcp-server-new" onClick={() => setEditing(NEW_SERVER)}>
              New MCP server
            </button>
          </div>
        ))}
      <div class="panels">
        <Section title="Tool calls, 24 hours" testid="mcp-tool-calls">
          {rows.length === 0 ? (
            <p class="muted">No MCP tool calls in 24 hours.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Tool</th>
                  <th scope="col" class="num">
                    Calls
                  </th>
                  <th scope="col" class="num">
                    Failed
                  </th>
                  <th scope="col" class="num">
                    Cost
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr data-tool={String(row.group.model ?? '')} data-value={String(row.requests)} data-errors={String(row.errors)}>
                    <th scope="row" class="mono">
                      {String(row.group.model ?? '(unknown)')}
                    </th>
                    <td class="num">{count(row.requests)}</td>
                    <td class="num">{count(row.errors)}</td>
                    <td class="num">{usd(row.cost_usd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p class="muted small">Each call is in the request log (operation mcp_tool_call), named server__tool.</p>
        </Section>
      </div>
    </section>
  );
}
