import type { Pipeline } from '../pipeline/pipeline.js';

export interface SurfaceDependencies {
  pipeline: Pipeline;
}
