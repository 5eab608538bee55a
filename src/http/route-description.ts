import type { z } from 'zod';

/** A query-string parameter a route reads. */
export interface QueryParameter {
  readonly name: string;
  readonly description: string;
}

/**
 * What the OpenAPI document (`GET /admin/openapi.json`) says of a route. Made from the route itself:
 * `body` is also the schema the route parses its body with, so the two cannot disagree.
 */
export interface RouteDescription {
  readonly tag: string;
  readonly summary: string;
  /** The success status (200 unless said). */
  readonly status?: number;
  /** A named answer schema (`VirtualKey`, `Usage`, …, from a module's `apiSchemas`); a plain object when absent. */
  readonly answer?: string;
  /** The JSON body, parsed with this schema before the handler runs. */
  readonly body?: z.ZodType;
  /** Whether the body may be left out. */
  readonly bodyOptional?: boolean;
  /** PATCH: the fields it takes, merged into the stored record and validated as a whole with this schema. */
  readonly patch?: z.ZodType;
  readonly query?: readonly QueryParameter[];
  /** Who may call it: the admin token (the default for /admin paths), a virtual key, or anyone. */
  readonly security?: 'admin' | 'virtual-key' | 'none';
}
