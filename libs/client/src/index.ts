export * from './api-types';
export * from './client';
