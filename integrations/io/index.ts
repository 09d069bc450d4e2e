export * from './schemas';
export * from './manage-client';
export * from './messages-client';
