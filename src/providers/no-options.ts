import { z } from 'zod';

/** The options schema of a provider type that has none: `options` must be empty, so a stray key is reported. */
export const noOptionsSchema = z.strictObject({});

export type NoOptions = z.infer<typeof noOptionsSchema>;
