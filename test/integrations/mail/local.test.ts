import { startLocalMail } from '../../../integrations/mail/local';
import { notificationKindLabel, notificationKinds } from '../../../integrations/mail/templates';
import { sampleNotifications, silentLogger, tempDir } from './fixtures';

test('local run: every notification lands in the outbox under the data folder', async () => {
  const { dir, cleanup } = await tempDir('local-mail');
  const local = await startLocalMail({ dataDir: dir, logger: silentLogger });
  try {
    for (const notification of sampleNotifications('local')) await local.mailer.send(notification);
    const page = await local.catcher.outbox.listOutbox({ comuneIpa: 'c_l378', limit: 100 });
    expect(page.total).toBe(notificationKinds.length);
    expect(new Set(page.items.map((m) => m.kind)).size).toBe(notificationKinds.length);
    // Every kind reaches a screen as its Italian label from the registry.
    for (const m of page.items) expect(m.kindLabel).toBe(notificationKindLabel(m.kind));
    expect(new Set(page.items.map((m) => m.kindLabel)).size).toBe(notificationKinds.length);
    const staffOnly = await local.catcher.outbox.listOutbox({ to: 'staff@comunitrentini.it' });
    expect(staffOnly.items.map((m) => m.kind).sort()).toEqual(
      [
        'journey_completed',
        'manager_escalation',
        'service_rejected',
        'service_unpublished',
        'signed_form_link_expired',
        'staff_alert',
      ].sort(),
    );
    const first = page.items[page.items.length - 1]!;
    expect(await local.catcher.outbox.getMessage(first.id)).toEqual(first);
    expect(first.kind).toBe('delegation_instructions_a');
  } finally {
    await local.close();
    await cleanup();
  }
});
