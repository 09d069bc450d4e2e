import { type Block, bullets, fields, heading, link, p } from '../document';
import type { BaseData, Comune, Delegate } from '../schemas';

/** Building blocks shared by the templates. */

export const MEASURE = 'Misura 1.4.3 del PNRR «Adozione App IO»';

/** "Comune di Trento (c_l378)": in every subject. */
export const comuneLabel = (comune: Comune): string => `${comune.name} (${comune.ipaCode})`;

export const comuneFields = (comune: Comune): [string, string][] => [
  ['Ente', comune.name],
  ['Codice IPA', comune.ipaCode],
];

export const delegateFields = (delegate: Delegate): Block =>
  fields([
    ['Nome', delegate.firstName],
    ['Cognome', delegate.lastName],
    ['Codice fiscale', delegate.fiscalCode],
    ['Indirizzo e-mail', delegate.email],
  ]);

export const fullName = (delegate: Delegate): string => `${delegate.firstName} ${delegate.lastName}`;

export const missingList = (title: string, items: readonly string[]): Block[] => [
  heading(title),
  bullets(items),
];

/** For mails to a Comune: contacts, thanks, signature. */
export function closingForComune(data: BaseData): Block[] {
  const blocks: Block[] = [];
  const { email, phone } = data.contacts ?? {};
  if (email && phone) {
    blocks.push(
      p(
        'Per qualsiasi chiarimento potete scriverci a ',
        link(`mailto:${email}`, email),
        ` o telefonarci al numero ${phone}.`,
      ),
    );
  } else if (email) {
    blocks.push(p('Per qualsiasi chiarimento potete scriverci a ', link(`mailto:${email}`, email), '.'));
  } else if (phone) {
    blocks.push(p(`Per qualsiasi chiarimento potete telefonarci al numero ${phone}.`));
  }
  blocks.push(p('Vi ringraziamo per la collaborazione.'));
  blocks.push(p(`Cordiali saluti,\n${data.partnerName}`));
  blocks.push(p(`Comunicazione inviata nell'ambito della ${MEASURE}.`));
  return blocks;
}

/** For internal mails to staff and managers. */
export function closingInternal(data: BaseData): Block[] {
  return [
    p(`Cordiali saluti,\n${data.partnerName}`),
    p(`Messaggio generato automaticamente dal back office App IO (${MEASURE}).`),
  ];
}

/** A link to the Comune's page in the back office, when the caller gives one. */
export const detailsLink = (url: string | undefined): Block[] =>
  url ? [p("Scheda dell'ente nel back office: ", link(url))] : [];
