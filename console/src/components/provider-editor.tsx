import { useState } from 'preact/hooks';

/** A key as `GET /admin/providers` shows it: its secret only as `{ set: true }`. */
export interface ProviderKeyShown {
  id: string;
  value?: { set: true };
  weight: number;
  models?: string[];
}

/** A provider's definition as `GET /admin/providers` shows it (the config's `providers.<name>`, secrets hidden). */
export interface ProviderDefinition {
  type: string;
  base_url?: string;
  models?: string[];
  keys: ProviderKeyShown[];
  [field: string]: unknown;
}

/** A key as `PUT /admin/providers/{name}` takes it: without `value`, an existing id keeps its stored secret. */
interface KeySent {
  id: string;
  value?: string;
  weight: number;
  models?: string[];
}

const TYPES = ['openai', 'azure', 'anthropic', 'gemini', 'bedrock', 'vertex', 'cohere', 'groq', 'mistral', 'together', 'deepseek', 'xai', 'cerebras', 'perplexity', 'fireworks', 'openrouter', 'ollama', 'vllm', 'openai-compatible', 'mock'];

const list = (text: string): string[] =>
  text
    .split(/[,\s]+/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/**
 * Edits one provider: type, base URL, models, and keys (id, weight, models, and a write-only
 * secret: left empty, a key that is already stored keeps its secret). Other fields of the
 * definition (headers, timeouts, options) are sent back as shown. With `named`, a name field first.
 */
export function ProviderEditor({ name, definition, named, onSave, onCancel }: { name: string; definition: ProviderDefinition; named?: boolean; onSave: (name: string, definition: Record<string, unknown>) => void; onCancel: () => void }) {
  const [keys, setKeys] = useState<{ id: string; secret: string; weight: string; models: string; stored: boolean }[]>(
    definition.keys.map((key) => ({ id: key.id, secret: '', weight: String(key.weight), models: (key.models ?? []).join(', '), stored: key.value !== undefined })),
  );
  const change = (index: number, field: 'id' | 'secret' | 'weight' | 'models', value: string) => setKeys((previous) => previous.map((key, at) => (at === index ? { ...key, [field]: value } : key)));
  return (
    <form
      class="provider-form"
      data-testid="provider-form"
      aria-label={named ? 'New provider' : `Edit provider ${name}`}
      autoComplete="off"
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        const baseUrl = String(data.get('base_url') ?? '').trim();
        const models = list(String(data.get('models') ?? ''));
        const { base_url: _base, models: _models, ...rest } = definition;
        const next: Record<string, unknown> = {
          ...rest,
          type: String(data.get('type') ?? '').trim(),
          ...(baseUrl === '' ? {} : { base_url: baseUrl }),
          ...(models.length === 0 ? {} : { models }),
          keys: keys
            .filter((key) => key.id.trim() !== '' || key.secret !== '')
            .map((key): KeySent => {
              const keyModels = list(key.models);
              return { id: key.id.trim(), ...(key.secret === '' ? {} : { value: key.secret }), weight: key.weight.trim() === '' ? 1 : Number(key.weight), ...(keyModels.length === 0 ? {} : { models: keyModels }) };
            }),
        };
        onSave(named ? String(data.get('name') ?? '').trim() : name, next);
      }}
    >
      <div class="grid-form">
        {named && (
          <label>
            Name
            <input name="name" data-testid="provider-name" required pattern="[A-Za-z0-9_.\-]{1,128}" />
          </label>
        )}
        <label>
          Type
          <input name="type" data-testid="provider-type" required list="provider-types" defaultValue={definition.type} />
          <datalist id="provider-types">
            {TYPES.map((type) => (
              <option value={type} />
            ))}
          </datalist>
        </label>
        <label>
          Base URL (empty: the provider's)
          <input name="base_url" data-testid="provider-base-url" type="url" defaultValue={definition.base_url ?? ''} />
        </label>
        <label>
          Models (comma-separated; empty: any)
          <input name="models" data-testid="provider-models" defaultValue={(definition.models ?? []).join(', ')} />
        </label>
      </div>
      <fieldset>
        <legend>Keys</legend>
        {keys.map((key, index) => (
          <div class="route-target" data-testid="provider-key" key={index}>
            <label>
              Id
              <input data-testid="provider-key-id" value={key.id} required={key.secret !== ''} onInput={(event) => change(index, 'id', event.currentTarget.value)} />
            </label>
            <label>
              Secret {key.stored ? '(stored; empty keeps it)' : ''}
              <input data-testid="provider-key-secret" type="password" autoComplete="new-password" value={key.secret} required={!key.stored} placeholder={key.stored ? '••••••••' : ''} onInput={(event) => change(index, 'secret', event.currentTarget.value)} />
            </label>
            <label>
              Weight
              <input data-testid="provider-key-weight" type="number" min="0" step="any" value={key.weight} onInput={(event) => change(index, 'weight', event.currentTarget.value)} />
            </label>
            <label>
              Models (empty: all)
              <input data-testid="provider-key-models" value={key.models} onInput={(event) => change(index, 'models', event.currentTarget.value)} />
            </label>
            <button type="button" data-testid="provider-key-remove" aria-label={`Remove key ${key.id === '' ? index + 1 : key.id}`} onClick={() => setKeys((previous) => previous.filter((_, at) => at !== index))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" data-testid="provider-add-key" onClick={() => setKeys((previous) => [...previous, { id: '', secret: '', weight: '1', models: '', stored: false }])}>
          Add key
        </button>
      </fieldset>
      <div class="row-actions">
        <button type="submit" data-testid="provider-save">
          Save
        </button>
        <button type="button" data-testid="provider-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
