export * from './schemas';
export * from './portal-client';
