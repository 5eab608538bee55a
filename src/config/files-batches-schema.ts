import { z } from 'zod';

/** `files`: where `POST /v1/files` stores an upload and who sees it (docs/files-and-batches.md). */
export const filesSchema = z.strictObject({
  /**
   * The provider an upload goes to when the caller names none (`provider` form field or
   * `x-tollgate-provider` header); `gateway` keeps it in the gateway's own store. Unset: the first
   * configured provider whose adapter keeps files, else the gateway.
   */
  default_provider: z.string().min(1).optional(),
  /** Whether a file (or batch) is visible to every key of its owner's team, not only to the key that made it. */
  share_with_team: z.boolean().default(false),
  /** Largest upload (OpenAI's own limit is 512 MB; batch input files 200 MB). */
  max_upload_bytes: z.number().int().positive().default(200 * 1024 * 1024),
});

/** `batches`: the Batch API (`/v1/batches`), native at the provider or run by the gateway. */
export const batchesSchema = z.strictObject({
  /** Lines of gateway-run batches in flight at once, across every batch of this gateway. */
  concurrency: z.number().int().positive().max(256).default(4),
  /** How often the gateway asks the provider about batches running there that are not settled yet, to settle them once they end. */
  poll_interval_ms: z.number().int().positive().default(5 * 60_000),
  /** Most lines one batch input file may hold (OpenAI's own limit is 50,000). */
  max_lines: z.number().int().positive().default(50_000),
});

export type FilesConfig = z.infer<typeof filesSchema>;
export type BatchesConfig = z.infer<typeof batchesSchema>;

/** `files.default_provider` names `gateway` or a configured provider. */
export function checkFilesReferences(config: { files: FilesConfig; providers: Record<string, unknown> }, context: z.core.$RefinementCtx): void {
  const name = config.files.default_provider;
  if (name === undefined || name === 'gateway' || name in config.providers) return;
  context.addIssue({ code: 'custom', path: ['files', 'default_provider'], message: `unknown provider "${name}": name one under providers, or \`gateway\` to keep uploads in the gateway` });
}
