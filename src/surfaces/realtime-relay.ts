import type { RawData, WebSocket } from 'ws';
import { realtimeErrorEvent, realtimeEventType, realtimeFinishReason, realtimeResponseId, realtimeUsage } from '../codecs/openai-realtime/index.js';
import type { RealtimeUpstream } from '../pipeline/realtime-attempt.js';
import type { OpenedSession, SessionTurn } from '../pipeline/session.js';
import { REDACTED } from '../providers/secret-scrubber.js';
import { GatewayError, toGatewayError } from '../spec/index.js';

/** Past this much unsent data toward one side, the other side is no longer read until it drains. */
const HIGH_WATER_BYTES = 1 << 20;
const LOW_WATER_BYTES = 256 * 1024;
/** A turn admitted this long ago is admitted again before use: its reservation would soon expire unsettled. */
const RENEW_AFTER_MS = 5 * 60_000;

/** The WebSocket close code of a gateway error that ends a session: 4000 + its HTTP status (4402 budget, 4408 session expired, 4429 rate limit). */
export function closeCodeOf(error: GatewayError): number {
  return 4000 + (error.status >= 100 && error.status <= 999 ? error.status : 500);
}

/** A close code one side sent that may be sent on to the other (RFC 6455 §7.4: not 1005, 1006, 1015 or reserved ranges). */
function relayable(code: number, fallback: number): number {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999) ? code : fallback;
}

type Message = [data: Buffer, binary: boolean];

/** One direction of the relay: messages from `from` to `to`, in order, held while an admission is awaited. */
class Lane {
  private readonly held: Message[] = [];
  private busy = false;
  private blocked = false;

  constructor(
    readonly from: WebSocket,
    readonly to: WebSocket,
    /** What to do with a message: forward it (returns undefined) or first await something. */
    private readonly handle: (message: Message) => Promise<void> | undefined,
    private readonly onError: (error: unknown) => void,
  ) {}

  receive(message: Message): void {
    if (this.busy) {
      this.held.push(message);
      return;
    }
    const waiting = this.handle(message);
    if (waiting !== undefined) this.wait(waiting);
  }

  /** Sends toward `to`, pausing `from` while `to` has more than the high-water mark unsent. */
  send(data: Buffer | string, binary: boolean): void {
    if (this.to.readyState !== this.to.OPEN) return;
    this.to.send(data, { binary }, () => {
      if (this.blocked && this.to.bufferedAmount <= LOW_WATER_BYTES) {
        this.blocked = false;
        this.flow();
      }
    });
    if (this.to.bufferedAmount > HIGH_WATER_BYTES && !this.blocked) {
      this.blocked = true;
      this.flow();
    }
  }

  private wait(waiting: Promise<void>): void {
    this.busy = true;
    this.flow();
    waiting.then(
      () => {
        while (this.held.length > 0) {
          const next = this.handle(this.held.shift()!);
          if (next !== undefined) return this.wait(next);
        }
        this.busy = false;
        this.flow();
      },
      (error: unknown) => this.onError(error),
    );
  }

  /** Reads `from` unless a held message or a slow `to` says wait. */
  flow(): void {
    if (this.busy || this.blocked) this.from.pause();
    else this.from.resume();
  }
}

/**
 * Relays one realtime session between the caller's WebSocket and the provider's, frames as they
 * are, both ways, with backpressure (each side is read only while the other keeps up) and the
 * gateway's part in between: each response is a billed turn, admitted before it starts (a caller's
 * `response.create` is held until then; a response the server starts on its own, voice activity, is
 * admitted when `response.created` arrives), settled and logged when its `response.done` brings the
 * usage, and the next turn admitted at once, so a key over budget gets an `error` event and the
 * socket closed (4402) between responses, never in the middle of one. Secrets of the provider key
 * never reach the caller, whatever the provider sends.
 */
export class RealtimeRelay {
  private readonly upstream: WebSocket;
  private readonly toClient: Lane;
  private readonly toUpstream: Lane;
  /** Turns whose responses have started, by response id. */
  private readonly turns = new Map<string, SessionTurn>();
  /** A turn admitted for the next response, not begun yet. */
  private next: SessionTurn | undefined;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private events = 0;

  constructor(
    private readonly client: WebSocket,
    private readonly session: OpenedSession<RealtimeUpstream>,
    maxSessionMs: number,
    private readonly onClosed: (relay: RealtimeRelay) => void,
  ) {
    this.upstream = session.connection.socket;
    this.toClient = new Lane(this.upstream, client, (message) => this.fromUpstream(message), (error) => this.end(toGatewayError(error)));
    this.toUpstream = new Lane(client, this.upstream, (message) => this.fromClient(message), (error) => this.end(toGatewayError(error)));
    this.timer = setTimeout(() => this.end(new GatewayError('session_expired', `The realtime session reached its limit of ${Math.round(maxSessionMs / 1000)} seconds (realtime.max_session_seconds).`)), maxSessionMs);
    client.on('message', (data: RawData, binary: boolean) => this.toUpstream.receive([asBuffer(data), binary]));
    const upstream = session.connection;
    upstream.takeOver();
    for (const message of upstream.early.splice(0)) this.toClient.receive(message);
    this.upstream.on('message', (data: RawData, binary: boolean) => this.toClient.receive([asBuffer(data), binary]));
    // Read from the provider from now on (it was paused while the caller's socket was accepted), unless a lane holds it.
    this.toClient.flow();
    // The provider may have gone while the caller's socket was being accepted: its close was heard by nobody.
    if (this.upstream.readyState !== this.upstream.OPEN) queueMicrotask(() => this.closedBy('upstream', 1011, Buffer.alloc(0)));
    client.on('close', (code: number, reason: Buffer) => this.closedBy('client', code, reason));
    this.upstream.on('close', (code: number, reason: Buffer) => this.closedBy('upstream', code, reason));
    client.on('error', () => this.closedBy('client', 1011, Buffer.alloc(0)));
    this.upstream.on('error', () => this.closedBy('upstream', 1011, Buffer.alloc(0)));
  }

  /** Ends the session from the gateway's side (shutdown: 1001). */
  shutdown(): void {
    if (this.closed) return;
    this.finish(new GatewayError('shutting_down', 'The gateway is shutting down.'));
    this.client.close(1001, 'gateway shutting down');
    this.upstream.close(1001, 'gateway shutting down');
  }

  private fromClient([data, binary]: Message): Promise<void> | undefined {
    // Audio appends make most of the traffic: only a message naming the event is decoded.
    if (!binary && data.includes('"response.create"') && realtimeEventType(data.toString('utf8')).type === 'response.create') {
      // Held until the response it asks for is admitted; refused, it never reaches the provider.
      const ready = this.readyTurn();
      if (ready !== undefined) return ready.then(() => this.toUpstream.send(data, false));
    }
    this.toUpstream.send(data, binary);
    return undefined;
  }

  private fromUpstream([data, binary]: Message): Promise<void> | undefined {
    const out = this.scrubbed(data);
    if (binary) {
      this.toClient.send(out, true);
      return undefined;
    }
    if (typeof out !== 'string' && !out.includes('"response.')) {
      this.toClient.send(out, false);
      return undefined;
    }
    const { type, event } = realtimeEventType(typeof out === 'string' ? out : out.toString('utf8'));
    if (type === 'response.created' && event !== undefined) {
      const id = realtimeResponseId(event);
      const begin = (): void => {
        const turn = this.next;
        if (turn === undefined || this.closed) return;
        this.next = undefined;
        turn.begin();
        if (id !== undefined) this.turns.set(id, turn);
        this.toClient.send(out, false);
      };
      const ready = this.readyTurn();
      if (ready === undefined) {
        begin();
        return undefined;
      }
      return ready.then(begin);
    }
    if (type === 'response.done' && event !== undefined) return this.settle(event);
    this.toClient.send(out, false);
    return undefined;
  }

  /**
   * A `response.done`: the turn settled with its usage and logged, the event passed on with the
   * response's cost as `x_tollgate_cost` (as a stream's last event carries it), and the next turn
   * admitted at once.
   */
  private settle(event: Record<string, unknown>): Promise<void> | undefined {
    const id = realtimeResponseId(event);
    let turn = id === undefined ? undefined : this.turns.get(id);
    if (id !== undefined) this.turns.delete(id);
    if (turn === undefined && this.next !== undefined) {
      // A response whose `response.created` never came: the turn admitted for it serves.
      turn = this.next;
      this.next = undefined;
    }
    const settle = (settling: SessionTurn): Promise<void> | undefined => {
      const cost = settling.settle(realtimeUsage(event), realtimeFinishReason(event));
      this.toClient.send(JSON.stringify({ ...event, x_tollgate_cost: cost }), false);
      return this.readyTurn();
    };
    if (turn === undefined) return this.session.admitTurn().then(settle, (error: unknown) => this.end(toGatewayError(error)));
    return settle(turn);
  }

  /**
   * Makes sure a turn is admitted for the next response: undefined when one already is; else a
   * promise that settles once it is, or once the session was ended because the caller may not go on.
   */
  private readyTurn(): Promise<void> | undefined {
    if (this.next !== undefined && Date.now() - this.next.admittedAt < RENEW_AFTER_MS) return undefined;
    this.next?.cancel();
    this.next = undefined;
    return this.session.admitTurn().then(
      (turn) => {
        if (this.closed) return turn.cancel();
        this.next = turn;
      },
      (error: unknown) => {
        this.end(toGatewayError(error));
        throw error;
      },
    );
  }

  /** The provider key's secrets replaced in a message from the provider (checked on the bytes: most messages carry none). */
  private scrubbed(data: Buffer): Buffer | string {
    let text: string | undefined;
    for (const secret of this.session.connection.scrubber.exactSecrets()) {
      if (text === undefined && !data.includes(secret)) continue;
      text ??= data.toString('utf8');
      if (text.includes(secret)) text = text.split(secret).join(REDACTED);
    }
    return text ?? data;
  }

  /** Ends the session for a gateway error: an `error` event to the caller, then both sockets closed with 4000 + its status. */
  private end(error: GatewayError): void {
    if (this.closed) return;
    const code = closeCodeOf(error);
    if (this.client.readyState === this.client.OPEN) this.client.send(realtimeErrorEvent(error, `event_tollgate_${++this.events}`));
    this.finish(error);
    this.client.close(code, error.code);
    this.upstream.close(1000, 'session ended by the gateway');
  }

  private closedBy(side: 'client' | 'upstream', code: number, reason: Buffer): void {
    if (this.closed) return;
    const error =
      side === 'client'
        ? new GatewayError('client_disconnected', 'The caller closed the realtime session before the response was done.')
        : new GatewayError('upstream_stream_error', `The provider closed the realtime session (code ${code}) before the response was done.`);
    this.finish(error);
    const text = reason.toString('utf8').slice(0, 120);
    if (side === 'client') this.upstream.close(relayable(code, 1000), text);
    else this.client.close(relayable(code, 1011), text);
  }

  /** Settles what is open: responses under way fail with `error` (logged), an unused admission is given back. */
  private finish(error: GatewayError): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const turn of this.turns.values()) turn.fail(error);
    this.turns.clear();
    this.next?.cancel();
    this.next = undefined;
    // Sockets that do not close politely within a few seconds are cut.
    const cut = setTimeout(() => {
      this.client.terminate();
      this.upstream.terminate();
    }, 5000);
    cut.unref();
    this.onClosed(this);
  }
}

function asBuffer(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
