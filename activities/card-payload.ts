import type { ServicePayload } from '../integrations/io';
import type { ServiceCard } from '../domain/service-card';

/** The staff-facing card becomes the IO manage API's service body. */
export function cardToServicePayload(card: ServiceCard): ServicePayload {
  return {
    name: card.service_name,
    description: card.description,
    organization: { name: card.organization_name, fiscal_code: card.organization_fiscal_code },
    authorized_cidrs: card.authorized_cidrs
      .split(';')
      .map((c) => c.trim())
      .filter(Boolean),
    authorized_recipients: [],
    require_secure_channel: false,
    max_allowed_payment_amount: 0,
    metadata: {
      scope: card.service_scope === 'national' ? 'NATIONAL' : 'LOCAL',
      topic_id: card.topic_id,
      privacy_url: card.privacy_url,
      ...(card.web_url ? { web_url: card.web_url } : {}),
      ...(card.tos_url ? { tos_url: card.tos_url } : {}),
      ...(card.app_ios ? { app_ios: card.app_ios } : {}),
      ...(card.app_android ? { app_android: card.app_android } : {}),
      ...(card.address ? { address: card.address } : {}),
      ...(card.phone ? { phone: card.phone } : {}),
      ...(card.email ? { email: card.email } : {}),
      ...(card.pec ? { pec: card.pec } : {}),
      ...(card.support_url ? { support_url: card.support_url } : {}),
    },
  };
}
