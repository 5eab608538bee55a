export * from './money.js';
export * from './price.js';
export * from './cost.js';
export * from './catalog.js';
export * from './catalog-file.js';
export * from './model-name.js';
