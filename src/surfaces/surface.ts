import type { StoredResponses } from '../pipeline/capabilities.js';
import type { Pipeline } from '../pipeline/pipeline.js';

export interface SurfaceDependencies {
  pipeline: Pipeline;
  /** Stored responses, when the module keeping them is loaded (the Responses surface's `/responses/{id}` routes). */
  storedResponses?: StoredResponses;
}
