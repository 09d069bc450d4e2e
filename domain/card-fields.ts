// No imports: the console's type check reads this file's types too (scripts/generate-console-types.ts).

/**
 * The card's fields as staff read them, in the order of PagoPA's back office: Italian label, kind, limits and hint.
 * The console draws the card and its form from this list, and shows each issue beside the field it names.
 */
export interface CardFieldDefinition {
  /** A field of the card (serviceCardSchema); test/domain checks each name against the schema. */
  name: string;
  label: string;
  kind: 'text' | 'textarea' | 'url' | 'email' | 'tel' | 'topic' | 'scope' | 'logo';
  required?: boolean;
  maxLength?: number;
  pattern?: string;
  hint?: string;
}

export const cardFields: readonly CardFieldDefinition[] = [
  {
    name: 'service_name',
    label: 'Nome del servizio',
    kind: 'text',
    required: true,
    maxLength: 100,
    hint: 'Un sostantivo, non un verbo: «Prenotazione sale comunali».',
  },
  {
    name: 'organization_name',
    label: 'Nome dell’ente',
    kind: 'text',
    required: true,
    hint: 'Il nome completo: «Comune di Varese», non «Varese».',
  },
  {
    name: 'organization_fiscal_code',
    label: 'Codice fiscale dell’ente',
    kind: 'text',
    required: true,
    pattern: '[0-9]{11}',
  },
  {
    name: 'description',
    label: 'Descrizione',
    kind: 'textarea',
    required: true,
    maxLength: 1000,
    hint: 'Da 20 a 1000 caratteri, markdown ammesso. Niente maiuscolo, solo iniziali e sigle.',
  },
  { name: 'topic_id', label: 'Argomento', kind: 'topic', required: true },
  { name: 'service_scope', label: 'Ambito', kind: 'scope', required: true },
  { name: 'privacy_url', label: 'Informativa privacy (URL)', kind: 'url', required: true },
  {
    name: 'authorized_cidrs',
    label: 'IP autorizzati (CIDR separati da ;)',
    kind: 'text',
    required: true,
    hint: 'es. 203.0.113.10/32; 198.51.100.0/24',
  },
  {
    name: 'logo_ref',
    label: 'Logo dell’ente',
    kind: 'logo',
    required: true,
    hint: 'PNG 300×300 pixel, sfondo bianco o trasparente.',
  },
  { name: 'phone', label: 'Telefono', kind: 'tel' },
  { name: 'email', label: 'E-mail', kind: 'email' },
  { name: 'pec', label: 'PEC', kind: 'email' },
  { name: 'support_url', label: 'Assistenza (URL)', kind: 'url' },
  { name: 'tos_url', label: 'Termini di servizio (URL)', kind: 'url' },
  { name: 'web_url', label: 'Sito web (URL)', kind: 'url' },
  { name: 'app_ios', label: 'App iOS (URL)', kind: 'url' },
  { name: 'app_android', label: 'App Android (URL)', kind: 'url' },
  { name: 'address', label: 'Indirizzo', kind: 'text', maxLength: 100 },
];
