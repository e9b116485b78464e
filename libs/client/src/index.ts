export type * from './api-types.js';
export * from './client.js';
