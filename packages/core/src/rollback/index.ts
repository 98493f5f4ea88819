export * from './target.js';
export * from './revert.js';
export * from './bisect.js';
export * from './rollback.js';
