export * from './schemas';
export * from './selfcare-client';
