import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ms } from '../format.js';
import { canEdit, useWho } from '../session.js';
import { BudgetsEditor, budgetsText, type Budget } from '../components/budgets-editor.js';
import { LimitsFields, limitsFrom, limitsText, type RateLimits } from '../components/limits-fields.js';
import { ErrorNote, fieldsOf, Section, useLoad } from '../components/ui.js';
import { RouteEditor, type RouteDefinition } from '../components/route-editor.js';
import { ProviderEditor, type ProviderDefinition } from '../components/provider-editor.js';

/** A route of `GET /admin/routes`: from the config file, or defined or changed through the admin API. */
interface RouteView {
  name: string;
  source: 'file' | 'api';
  in_file: boolean;
  definition: RouteDefinition;
  updated_by: string | null;
  updated_at: string | null;
}

/** `routeEditing` (`providerEditing`) while the new-route (new-provider) form is open (no valid name is this). */
const NEW_ROUTE = ' new';

interface RoutingView {
  providers: { name: string; type: string; base_url: string | null; models: string[] | null; keys: { id: string; weight: number; models: string[] | null }[]; timeout_ms: number; max_retries: number }[];
  routes: { name: string; strategy: string; targets: { model: string; weight: number }[]; fallbacks: string[] }[];
  aliases: Record<string, string>;
  settings: { retry: Record<string, unknown>; circuit_breaker: Record<string, unknown>; health_checks: { enabled: boolean } };
}

/** A provider of `GET /admin/providers`: its limits (`source`) and its definition (`definition_source`), secrets hidden. */
interface ProviderLimits {
  name: string;
  source: 'config' | 'api';
  budgets: Budget[];
  rate_limits: RateLimits | null;
  definition_source?: 'file' | 'api';
  in_file?: boolean;
  definition?: ProviderDefinition;
  updated_by?: string | null;
  updated_at?: string | null;
}

interface Health {
  targets: { target: string; provider: string; state: string; reason?: string; latencyMs: number | null; inFlight: number; consecutiveFailures: number; retryInMs?: number }[];
  keys: { provider: string; keyId: string; state: string; reason?: string; inFlight: number; consecutiveFailures: number }[];
}

function State({ state, reason }: { state: string; reason?: string }) {
  return (
    <span class={`badge ${state === 'closed' ? 'live' : 'closed'}`} title={reason}>
      {state === 'closed' ? 'healthy' : `circuit ${state}`}
    </span>
  );
}

/**
 * Providers (keys by id only: the gateway never sends a secret back), models, routes with weights and
 * fallbacks, aliases, circuit and health state; each provider (type, base URL, models, keys with
 * write-only secrets), its global budgets and rate limits, and each route (targets, weights, strategy,
 * fallbacks) are edited through the admin API and apply at once.
 */
export function Providers() {
  const who = useWho();
  const editor = canEdit(who);
  const routing = useLoad(() => api<RoutingView>('GET', '/admin/routing'));
  const limits = useLoad(() => api<{ data: ProviderLimits[] }>('GET', '/admin/providers'));
  const health = useLoad(() => fetch('/health/providers', { credentials: 'same-origin' }).then((response) => response.json() as Promise<Health>));
  const [editing, setEditing] = useState<{ name: string; what: 'budgets' | 'limits' | 'definition' } | undefined>();
  const [providerNew, setProviderNew] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const routes = useLoad(() => api<{ routes: RouteView[] }>('GET', '/admin/routes'));
  const [routeEditing, setRouteEditing] = useState<string | undefined>();
  const limitsOf = new Map((limits.value?.data ?? []).map((provider) => [provider.name, provider]));

  const save = (name: string, body: { budgets: Budget[]; rate_limits?: RateLimits } | undefined) => {
    setError(undefined);
    (body === undefined ? api('DELETE', `/admin/providers/${encodeURIComponent(name)}/limits`) : api('PUT', `/admin/providers/${encodeURIComponent(name)}/limits`, body)).then(
      () => {
        setEditing(undefined);
        limits.reload();
      },
      (failure: Error) => setError(failure.message),
    );
  };

  const reloadAll = () => {
    limits.reload();
    routing.reload();
    routes.reload();
  };
  const saveProvider = (name: string, definition: Record<string, unknown>) => {
    setError(undefined);
    api('PUT', `/admin/providers/${encodeURIComponent(name)}`, definition).then(
      () => {
        setEditing(undefined);
        setProviderNew(false);
        reloadAll();
      },
      (failure: Error) => setError(failure.message),
    );
  };
  const revertProvider = (name: string) => {
    setError(undefined);
    api('DELETE', `/admin/providers/${encodeURIComponent(name)}`).then(reloadAll, (failure: Error) => setError(failure.message));
  };

  const saveRoute = (name: string, definition: RouteDefinition) => {
    setError(undefined);
    api('PUT', `/admin/routes/${encodeURIComponent(name)}`, definition).then(
      () => {
        setRouteEditing(undefined);
        routes.reload();
        routing.reload();
      },
      (failure: Error) => setError(failure.message),
    );
  };
  const revertRoute = (name: string) => {
    setError(undefined);
    api('DELETE', `/admin/routes/${encodeURIComponent(name)}`).then(
      () => {
        routes.reload();
        routing.reload();
      },
      (failure: Error) => setError(failure.message),
    );
  };

  return (
    <section data-testid="page-providers" aria-labelledby="providers-title">
      <div class="title-row">
        <h1 id="providers-title">Providers and routing</h1>
        <button type="button" onClick={() => health.reload()}>
          Refresh health
        </button>
      </div>
      <ErrorNote error={error ?? routing.error ?? limits.error ?? routes.error} />
      <div class="table-wrap">
        <table data-testid="providers-table">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Type</th>
              <th scope="col">Base URL</th>
              <th scope="col">Models</th>
              <th scope="col">Keys (id × weight)</th>
              <th scope="col">Budgets</th>
              <th scope="col">Rate limits</th>
              {editor && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {(routing.value?.providers ?? []).map((provider) => {
              const own = limitsOf.get(provider.name);
              return (
                <Fragment key={provider.name}>
                  <tr data-provider={provider.name} data-source={own?.definition_source ?? 'file'}>
                    <td class="mono">
                      {provider.name}{' '}
                      {own?.definition_source === 'api' && (
                        <span class="badge paused" data-testid="provider-source" data-value="api" title={own.updated_by == null ? undefined : `changed by ${own.updated_by} at ${own.updated_at}`}>
                          {own.in_file ? 'changed here' : 'added here'}
                        </span>
                      )}
                    </td>
                    <td>{provider.type}</td>
                    <td class="mono">{provider.base_url ?? 'default'}</td>
                    <td>{provider.models?.join(', ') ?? 'any'}</td>
                    <td data-testid="provider-keys">
                      {provider.keys.length === 0
                        ? 'none'
                        : provider.keys.map((key) => (
                            <div class="mono">
                              {key.id} × {key.weight}
                              {key.models === null ? '' : ` (${key.models.join(', ')})`}
                            </div>
                          ))}
                    </td>
                    <td>{own === undefined ? '' : budgetsText(own.budgets)}</td>
                    <td>
                      {own === undefined ? '' : limitsText(own.rate_limits)}
                      {own?.source === 'api' ? <span class="muted"> (set here)</span> : ''}
                    </td>
                    {editor && (
                      <td class="actions">
                        {own?.definition !== undefined && (
                          <button type="button" data-testid="provider-edit" onClick={() => setEditing({ name: provider.name, what: 'definition' })}>
                            Edit
                          </button>
                        )}
                        {own?.definition_source === 'api' && (
                          <button type="button" data-testid="provider-revert" onClick={() => revertProvider(provider.name)}>
                            {own.in_file ? 'Back to config file' : 'Remove'}
                          </button>
                        )}
                        <button type="button" data-testid="provider-budget-edit" onClick={() => setEditing({ name: provider.name, what: 'budgets' })}>
                          Budgets
                        </button>
                        <button type="button" data-testid="provider-limits-edit" onClick={() => setEditing({ name: provider.name, what: 'limits' })}>
                          Limits
                        </button>
                        {own?.source === 'api' && (
                          <button type="button" onClick={() => save(provider.name, undefined)}>
                            Back to config
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                  {editing?.name === provider.name && own !== undefined && (
                    <tr class="detail-row">
                      <td colSpan={8}>
                        {editing.what === 'definition' && own.definition !== undefined ? (
                          <ProviderEditor name={provider.name} definition={own.definition} onSave={saveProvider} onCancel={() => setEditing(undefined)} />
                        ) : editing.what === 'budgets' ? (
                          <BudgetsEditor testid="provider-budget" budgets={own.budgets} onSave={(budgets) => save(provider.name, { budgets, ...(own.rate_limits === null ? {} : { rate_limits: own.rate_limits }) })} onCancel={() => setEditing(undefined)} />
                        ) : (
                          <form
                            class="inline grid-form"
                            onSubmit={(event) => {
                              event.preventDefault();
                              const rateLimits = limitsFrom(fieldsOf(event.currentTarget));
                              save(provider.name, { budgets: own.budgets, ...(rateLimits === undefined ? {} : { rate_limits: rateLimits }) });
                            }}
                          >
                            <LimitsFields limits={own.rate_limits ?? undefined} />
                            <div class="row-actions">
                              <button type="submit">Save</button>
                              <button type="button" onClick={() => setEditing(undefined)}>
                                Cancel
                              </button>
                            </div>
                          </form>
                        )}
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
        (providerNew ? (
          <div class="route" data-testid="provider-new-form">
            <h2>New provider</h2>
            <ProviderEditor name="" named definition={{ type: 'openai', keys: [] }} onSave={saveProvider} onCancel={() => setProviderNew(false)} />
          </div>
        ) : (
          <div class="row-actions">
            <button type="button" data-testid="provider-new" onClick={() => setProviderNew(true)}>
              New provider
            </button>
          </div>
        ))}
      <div class="panels">
        <Section title="Routes" testid="routes">
          {routes.value !== undefined && routes.value.routes.length === 0 && <p class="muted">No routes: models are named as provider/model or by their configured names.</p>}
          {(routes.value?.routes ?? []).map((route) => {
            const total = route.definition.targets.reduce((sum, target) => sum + target.weight, 0);
            return (
              <div class="route" data-route={route.name} data-source={route.source}>
                <div class="title-row">
                  <h3 class="mono">{route.name}</h3>
                  <span class={`badge ${route.source === 'api' ? 'paused' : ''}`} data-testid="route-source" data-value={route.source} title={route.updated_by === null ? undefined : `changed by ${route.updated_by} at ${route.updated_at}`}>
                    {route.source === 'api' ? (route.in_file ? 'changed here (overrides the file)' : 'added here') : 'config file'}
                  </span>
                </div>
                {routeEditing === route.name ? (
                  <RouteEditor name={route.name} definition={route.definition} onSave={saveRoute} onCancel={() => setRouteEditing(undefined)} />
                ) : (
                  <>
                    <p class="muted">strategy {route.definition.strategy}</p>
                    <ul>
                      {route.definition.targets.map((target) => (
                        <li data-testid="route-target-shown" data-model={target.model} data-weight={String(target.weight)}>
                          <span class="mono">{target.model}</span> weight {target.weight}
                          {route.definition.strategy === 'weighted' && total > 0 ? ` (${((100 * target.weight) / total).toFixed(0)} %)` : ''}
                        </li>
                      ))}
                    </ul>
                    {route.definition.fallbacks.length > 0 && (
                      <p>
                        Fallbacks: <span class="mono">{route.definition.fallbacks.join(' → ')}</span>
                      </p>
                    )}
                    {editor && (
                      <div class="row-actions">
                        <button type="button" data-testid="route-edit" onClick={() => setRouteEditing(route.name)}>
                          Edit
                        </button>
                        {route.source === 'api' && (
                          <button type="button" data-testid="route-revert" onClick={() => revertRoute(route.name)}>
                            {route.in_file ? 'Back to config file' : 'Remove'}
                          </button>
                        )}
                      </div>
                    )}
                  </>
                )}
              </div>
            );
          })}
          {editor &&
            (routeEditing === NEW_ROUTE ? (
              <div class="route" data-testid="route-new-form">
                <h3>New route</h3>
                <RouteEditor name="" named definition={{ targets: [{ model: '', weight: 1 }], strategy: 'weighted', fallbacks: [] }} onSave={saveRoute} onCancel={() => setRouteEditing(undefined)} />
              </div>
            ) : (
              <div class="row-actions">
                <button type="button" data-testid="route-new" onClick={() => setRouteEditing(NEW_ROUTE)}>
                  New route
                </button>
              </div>
            ))}
          {routing.value !== undefined && Object.keys(routing.value.aliases).length > 0 && (
            <>
              <h3>Aliases</h3>
              <ul>
                {Object.entries(routing.value.aliases).map(([alias, target]) => (
                  <li class="mono">
                    {alias} → {target}
                  </li>
                ))}
              </ul>
            </>
          )}
          <p class="muted small">Changes made here apply at once on every replica, without a restart, and outlast a reload of the config file until reverted.</p>
        </Section>
        <Section title="Circuits and health" testid="provider-health">
          {health.value !== undefined && health.value.targets.length === 0 && <p class="muted">Nothing tracked yet: targets appear once they serve a request.</p>}
          <table>
            <tbody>
              {(health.value?.targets ?? []).map((target) => (
                <tr>
                  <th scope="row" class="mono">
                    {target.target}
                  </th>
                  <td>
                    <State state={target.state} reason={target.reason} />
                  </td>
                  <td class="num">{target.latencyMs === null ? '' : ms(target.latencyMs)}</td>
                  <td class="num">{target.inFlight} in flight</td>
                  <td class="num">{target.consecutiveFailures} failures in a row</td>
                </tr>
              ))}
              {(health.value?.keys ?? []).map((key) => (
                <tr>
                  <th scope="row" class="mono">
                    {key.provider} key {key.keyId}
                  </th>
                  <td>
                    <State state={key.state} reason={key.reason} />
                  </td>
                  <td />
                  <td class="num">{key.inFlight} in flight</td>
                  <td class="num">{key.consecutiveFailures} failures in a row</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      </div>
    </section>
  );
}
