import { useRef, useState } from 'preact/hooks';
import { ErrorNote } from '../components/ui.js';

interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

interface Trail {
  requestId: string | null;
  provider: string | null;
  model: string | null;
  keyId: string | null;
  attempts: string | null;
  fallbacks: string | null;
  trail: string | null;
  cost: string | null;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

const TRAIL_HEADERS = { requestId: 'x-request-id', provider: 'x-tollgate-provider', model: 'x-tollgate-model', keyId: 'x-tollgate-key-id', attempts: 'x-tollgate-attempts', fallbacks: 'x-tollgate-fallbacks', trail: 'x-tollgate-attempt-trail', cost: 'x-tollgate-cost' } as const;

/** Reads `data:` lines of an SSE body as they arrive. */
async function* events(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, end).replace(/\r$/, '');
      buffer = buffer.slice(end + 1);
      if (line.startsWith('data:')) yield line.slice(5).trim();
    }
  }
}

/**
 * Chat with any model a virtual key may use, through `/v1/chat/completions` with the key pasted here
 * (kept in this page's memory only, never stored): streamed, with the cost (the usage chunk's
 * `x_tollgate_cost`) and the attempt trail (the `x-tollgate-*` response headers) of each answer.
 */
export function Playground() {
  const [key, setKey] = useState('');
  const [models, setModels] = useState<string[]>([]);
  const [model, setModel] = useState('');
  const [turns, setTurns] = useState<Turn[]>([]);
  const [answer, setAnswer] = useState('');
  const [trail, setTrail] = useState<Trail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | undefined>(undefined);

  const loadModels = async () => {
    setError(undefined);
    const response = await fetch('/v1/models', { headers: { authorization: `Bearer ${key}` }, credentials: 'omit' });
    const body = (await response.json().catch(() => ({}))) as { data?: { id: string }[]; error?: { message?: string } };
    if (!response.ok) return setError(body.error?.message ?? `HTTP ${response.status}`);
    const ids = (body.data ?? []).map((entry) => entry.id);
    setModels(ids);
    if (!ids.includes(model)) setModel(ids[0] ?? '');
  };

  const send = async (text: string) => {
    const history: Turn[] = [...turns, { role: 'user', content: text }];
    setTurns(history);
    setAnswer('');
    setTrail(undefined);
    setError(undefined);
    setBusy(true);
    abort.current = new AbortController();
    let written = '';
    try {
      const response = await fetch('/v1/chat/completions', {
        method: 'POST',
        credentials: 'omit',
        signal: abort.current.signal,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: history, stream: true, stream_options: { include_usage: true } }),
      });
      const found = Object.fromEntries(Object.entries(TRAIL_HEADERS).map(([name, header]) => [name, response.headers.get(header)])) as unknown as Trail;
      setTrail(found);
      if (!response.ok || response.body === null) {
        const body = (await response.json().catch(() => ({}))) as { error?: { message?: string; code?: string } };
        throw new Error(`${response.status} ${body.error?.code ?? ''}: ${body.error?.message ?? 'the request failed'}`);
      }
      for await (const data of events(response.body)) {
        if (data === '[DONE]') break;
        const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[]; usage?: Trail['usage']; x_tollgate_cost?: string; error?: { message?: string } };
        if (chunk.error !== undefined) throw new Error(chunk.error.message ?? 'the stream failed');
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) {
          written += delta;
          setAnswer(written);
        }
        if (chunk.usage !== undefined || chunk.x_tollgate_cost !== undefined) setTrail((current) => ({ ...(current ?? found), ...(chunk.usage === undefined ? {} : { usage: chunk.usage }), ...(chunk.x_tollgate_cost === undefined ? {} : { cost: chunk.x_tollgate_cost }) }));
      }
      setTurns([...history, { role: 'assistant', content: written }]);
      setAnswer('');
    } catch (failure) {
      if ((failure as Error).name !== 'AbortError') setError((failure as Error).message);
      if (written !== '') setTurns([...history, { role: 'assistant', content: written }]);
      setAnswer('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section data-testid="page-playground" aria-labelledby="playground-title">
      <div class="title-row">
        <h1 id="playground-title">Playground</h1>
      </div>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          void loadModels();
        }}
      >
        <label>
          Virtual key <input name="key" type="password" autocomplete="off" value={key} onInput={(event) => setKey(event.currentTarget.value)} required data-testid="playground-key" />
        </label>
        <button type="submit" data-testid="playground-load-models">
          Load its models
        </button>
        <label>
          Model{' '}
          <input list="playground-models" name="model" value={model} onInput={(event) => setModel(event.currentTarget.value)} required data-testid="playground-model" />
          <datalist id="playground-models">
            {models.map((id) => (
              <option value={id} />
            ))}
          </datalist>
        </label>
      </form>
      <ErrorNote error={error} />
      <ol class="chat" data-testid="playground-chat" aria-live="polite">
        {turns.map((turn) => (
          <li class={`turn ${turn.role}`} data-role={turn.role}>
            <span class="muted">{turn.role}</span>
            <div>{turn.content}</div>
          </li>
        ))}
        {answer !== '' && (
          <li class="turn assistant streaming">
            <span class="muted">assistant</span>
            <div>{answer}</div>
          </li>
        )}
      </ol>
      <form
        class="composer"
        onSubmit={(event) => {
          event.preventDefault();
          const field = event.currentTarget.elements.namedItem('message') as HTMLTextAreaElement;
          const text = field.value.trim();
          if (text === '' || key === '' || model === '') return;
          field.value = '';
          void send(text);
        }}
      >
        <label for="playground-message">Message</label>
        <textarea id="playground-message" name="message" rows={3} data-testid="playground-message" />
        <div class="row-actions">
          <button type="submit" disabled={busy} data-testid="playground-send">
            Send
          </button>
          {busy && (
            <button type="button" onClick={() => abort.current?.abort()}>
              Stop
            </button>
          )}
          <button type="button" onClick={() => setTurns([])}>
            New chat
          </button>
        </div>
      </form>
      {trail !== undefined && (
        <dl class="pairs" data-testid="playground-trail">
          <dt>Cost</dt>
          <dd data-testid="playground-cost">{trail.cost === null ? '…' : trail.cost === 'unknown' ? 'unknown' : `$${trail.cost}`}</dd>
          <dt>Served by</dt>
          <dd>
            {trail.provider ?? '—'} / {trail.model ?? '—'} (key {trail.keyId ?? '—'})
          </dd>
          <dt>Attempts</dt>
          <dd data-testid="playground-attempts">
            {trail.attempts ?? '—'}
            {trail.fallbacks !== null && trail.fallbacks !== '0' ? `, ${trail.fallbacks} fallback groups` : ''}
          </dd>
          {trail.trail !== null && (
            <>
              <dt>Trail</dt>
              <dd class="mono">{trail.trail}</dd>
            </>
          )}
          {trail.usage !== undefined && (
            <>
              <dt>Tokens</dt>
              <dd>
                {trail.usage.prompt_tokens ?? '—'} in, {trail.usage.completion_tokens ?? '—'} out
              </dd>
            </>
          )}
          <dt>Request</dt>
          <dd class="mono">{trail.requestId ?? '—'}</dd>
        </dl>
      )}
    </section>
  );
}
