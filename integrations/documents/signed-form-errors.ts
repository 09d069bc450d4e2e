/** Why a signed adhesion form (.p7m) was refused. Codes are stable: the API and the UI switch on them. */
export const SIGNED_FORM_REJECTION_REASONS = [
  'empty',
  'malformed',
  'not_signed_data',
  'unsigned',
  'detached_signature',
  'content_not_pdf',
  'signer_certificate_missing',
  'signature_invalid',
  'certificate_not_valid_at_signing_time',
  'signer_mismatch',
] as const;

export type SignedFormRejectionReason = (typeof SIGNED_FORM_REJECTION_REASONS)[number];

/** Messages shown to the staff member who uploaded the file. */
export const SIGNED_FORM_REJECTION_MESSAGES: Record<SignedFormRejectionReason, string> = {
  empty: 'Il file caricato è vuoto.',
  malformed:
    'Il file non è un documento firmato CAdES (.p7m) leggibile: potrebbe essere danneggiato, incompleto o in un formato diverso.',
  not_signed_data:
    'Il file non contiene una firma digitale CAdES: caricare il modulo firmato in formato .p7m.',
  unsigned: 'Il file non contiene alcuna firma digitale.',
  detached_signature:
    'Il file contiene solo la firma ma non il modulo firmato (firma separata): caricare il file .p7m che include il PDF.',
  content_not_pdf:
    'Il documento firmato non è un PDF: caricare il modulo di adesione scaricato da Selfcare, firmato in formato CAdES.',
  signer_certificate_missing: 'Il file firmato non contiene il certificato del firmatario.',
  signature_invalid:
    'La firma digitale non è valida: il documento potrebbe essere stato modificato dopo la firma.',
  certificate_not_valid_at_signing_time:
    'Il certificato del firmatario non era valido al momento della firma (scaduto o non ancora valido).',
  signer_mismatch:
    'Il documento non risulta firmato dalla persona attesa: il codice fiscale del firmatario non corrisponde.',
};

/**
 * The uploaded signed form is not acceptable. `message` is Italian and can be shown as is
 * (the API layer answers 422); `reason` is the stable code; `detail` is technical, for logs only.
 */
export class SignedFormRejected extends Error {
  readonly httpStatus = 422;

  constructor(
    readonly reason: SignedFormRejectionReason,
    readonly detail?: string,
  ) {
    super(SIGNED_FORM_REJECTION_MESSAGES[reason]);
    this.name = 'SignedFormRejected';
  }
}

export function isSignedFormRejected(error: unknown): error is SignedFormRejected {
  return error instanceof SignedFormRejected;
}
