export { vertexAdapter, vertexOptionsSchema, type VertexOptions } from './vertex-adapter.js';
export { VERTEX_ANTHROPIC_VERSION } from './anthropic-on-vertex.js';
export { vertexBaseUrl, vertexModelUrl } from './vertex-url.js';
export { TokenSource, type AccessToken } from './token-source.js';
