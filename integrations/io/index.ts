export * from './schemas';
export * from './manage-client';
export * from './messages-client';
export * from './creation-limiter';
