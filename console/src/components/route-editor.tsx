import { useState } from 'preact/hooks';

export interface RouteTarget {
  model: string;
  weight: number;
}

/** A route's definition as `PUT /admin/routes/{name}` takes it (the config's `routes.<name>`). */
export interface RouteDefinition {
  targets: RouteTarget[];
  strategy: string;
  fallbacks: string[];
  cache?: unknown;
}

const STRATEGIES = ['weighted', 'latency', 'least-busy'];

/**
 * Edits one route: targets with weights (added and removed in place), strategy, fallbacks. With
 * `named`, a name field first (a new route). `onSave` gets the name and the whole definition.
 */
export function RouteEditor({ name, definition, named, onSave, onCancel }: { name: string; definition: RouteDefinition; named?: boolean; onSave: (name: string, definition: RouteDefinition) => void; onCancel: () => void }) {
  const [targets, setTargets] = useState<{ model: string; weight: string }[]>(definition.targets.map((target) => ({ model: target.model, weight: String(target.weight) })));
  const [strategy, setStrategy] = useState(definition.strategy);
  const change = (index: number, field: 'model' | 'weight', value: string) => setTargets((previous) => previous.map((target, at) => (at === index ? { ...target, [field]: value } : target)));
  return (
    <form
      class="route-form"
      data-testid="route-form"
      aria-label={named ? 'New route' : `Edit route ${name}`}
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        const fallbacks = String(data.get('fallbacks') ?? '')
          .split(/[,\s]+/)
          .map((item) => item.trim())
          .filter((item) => item.length > 0);
        const next: RouteDefinition = {
          targets: targets.filter((target) => target.model.trim() !== '').map((target) => ({ model: target.model.trim(), weight: target.weight.trim() === '' ? 1 : Number(target.weight) })),
          strategy,
          fallbacks,
          ...(definition.cache === undefined ? {} : { cache: definition.cache }),
        };
        onSave(named ? String(data.get('name') ?? '').trim() : name, next);
      }}
    >
      {named && (
        <label>
          Name
          <input name="name" data-testid="route-name" required pattern="[A-Za-z0-9_.:@\-]{1,128}" autoComplete="off" />
        </label>
      )}
      <fieldset>
        <legend>Targets</legend>
        {targets.map((target, index) => (
          <div class="route-target" data-testid="route-target" key={index}>
            <label>
              Model
              <input name={`target-model-${index}`} data-testid="route-target-model" value={target.model} placeholder="provider/model or a route" onInput={(event) => change(index, 'model', event.currentTarget.value)} />
            </label>
            <label>
              Weight
              <input name={`target-weight-${index}`} data-testid="route-target-weight" type="number" min="0" step="any" value={target.weight} onInput={(event) => change(index, 'weight', event.currentTarget.value)} />
            </label>
            <button type="button" data-testid="route-target-remove" aria-label={`Remove target ${index + 1}`} disabled={targets.length === 1} onClick={() => setTargets((previous) => previous.filter((_, at) => at !== index))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" data-testid="route-add-target" onClick={() => setTargets((previous) => [...previous, { model: '', weight: '1' }])}>
          Add target
        </button>
      </fieldset>
      <div class="grid-form">
        <label>
          Strategy
          <select name="strategy" data-testid="route-strategy" value={strategy} onChange={(event) => setStrategy(event.currentTarget.value)}>
            {STRATEGIES.map((strategy) => (
              <option value={strategy}>{strategy}</option>
            ))}
          </select>
        </label>
        <label>
          Fallbacks (in order, comma-separated)
          <input name="fallbacks" data-testid="route-fallbacks" defaultValue={definition.fallbacks.join(', ')} autoComplete="off" />
        </label>
      </div>
      <div class="row-actions">
        <button type="submit" data-testid="route-save">
          Save
        </button>
        <button type="button" data-testid="route-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
