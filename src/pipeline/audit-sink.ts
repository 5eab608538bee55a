/** One audited event: an admin change, or a governance decision that blocked a request. */
export interface AuditEvent {
  /** Who: `admin`, `config`, or `key:<id>` for governance decisions. */
  actor: string;
  /** What, as `<entity>.<verb>`, e.g. `virtual_key.create`, `request.blocked`. */
  action: string;
  /** The entity id acted on. */
  target?: string;
  /** Details without secrets (never key values or tokens). */
  details?: Record<string, unknown>;
}

/** The tamper-evident audit log, as features see it: append only. */
export interface AuditSink {
  append(event: AuditEvent): void;
}
