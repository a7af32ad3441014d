export * from './connect.ts';
export * from './link.ts';
export * from './listener.ts';
export * from './options.ts';
export * from './registry.ts';
export * from './replay-guard.ts';
export * from './replay-file.ts';
