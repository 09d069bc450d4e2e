/** Notifications over SMTP: Italian templates, an idempotent mailer, a local SMTP catcher with an outbox. */
export * from './templates';
export type { Block, EmailDocument, Inline } from './document';
export * from './errors';
export * from './ledger';
export * from './mailer';
export * from './notification';
export * from './outbox';
export * from './smtp-catcher';
export * from './local';
