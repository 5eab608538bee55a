import { z } from 'zod';

/** Vertex AI locations: `us-central1`, `europe-west4`, …, or `global` (https://cloud.google.com/vertex-ai/docs/general/locations). */
export const DEFAULT_REGION = 'us-central1';

export const regionSchema = z.string().regex(/^(global|[a-z]+(-[a-z]+)*\d*(-[a-z0-9]+)*)$/, 'must be a Google Cloud region, e.g. us-central1 or global');

/** The regional endpoint `https://{region}-aiplatform.googleapis.com/v1`; `global` has no region prefix. */
export function vertexBaseUrl(region: string): string {
  return region === 'global' ? 'https://aiplatform.googleapis.com/v1' : `https://${region}-aiplatform.googleapis.com/v1`;
}

/** Stands for the project while a key file has not been read yet; the signer puts the project in. */
export const PENDING_PROJECT = '{project}';
const PENDING_SEGMENT = `/projects/${encodeURIComponent(PENDING_PROJECT)}/`;

/** `{base}/projects/{project}/locations/{region}/publishers/{publisher}/models/{model}:{method}`. */
export function vertexModelUrl(baseUrl: string, project: string, region: string, publisher: string, model: string, method: string): string {
  return `${baseUrl}/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(region)}/publishers/${publisher}/models/${encodeURIComponent(model)}:${method}`;
}

/** The URL with the pending project replaced, when it holds one. */
export function withProject(url: string, project: string): string {
  return url.includes(PENDING_SEGMENT) ? url.replace(PENDING_SEGMENT, `/projects/${encodeURIComponent(project)}/`) : url;
}
