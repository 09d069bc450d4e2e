import { escapeHtml } from './format';

/**
 * A tiny document model: every template builds one, and the same document is rendered as plain text
 * and as HTML, so the two parts never drift apart and escaping happens in exactly one place.
 */

/** Inline content: plain text, emphasised text, a label shown on screen (a button, a menu item) or a link. */
export type Inline = string | { strong: string } | { ui: string } | { href: string; label?: string };

export type Block =
  | { kind: 'paragraph'; content: Inline[] }
  | { kind: 'heading'; text: string }
  | { kind: 'bullets'; items: Inline[][] }
  | { kind: 'steps'; items: Inline[][] }
  | { kind: 'fields'; rows: { label: string; value: string }[] }
  | { kind: 'quote'; text: string };

export interface EmailDocument {
  subject: string;
  blocks: Block[];
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

type ItemInput = string | Inline[];

const toInlines = (item: ItemInput): Inline[] => (typeof item === 'string' ? [item] : item);

export const p = (...content: Inline[]): Block => ({ kind: 'paragraph', content });
export const heading = (text: string): Block => ({ kind: 'heading', text });
export const bullets = (items: readonly ItemInput[]): Block => ({
  kind: 'bullets',
  items: items.map(toInlines),
});
export const steps = (items: readonly ItemInput[]): Block => ({ kind: 'steps', items: items.map(toInlines) });
export const quote = (text: string): Block => ({ kind: 'quote', text });
export const strong = (text: string): Inline => ({ strong: text });
/** A label the reader will find on screen: «Aggiungi un nuovo Amministratore». */
export const ui = (text: string): Inline => ({ ui: text });
export const link = (href: string, label?: string): Inline => (label ? { href, label } : { href });

/** Rows whose value is undefined are left out, so optional data can be listed inline. */
export const fields = (rows: readonly (readonly [string, string | undefined])[]): Block => ({
  kind: 'fields',
  rows: rows.flatMap(([label, value]) => (value === undefined ? [] : [{ label, value }])),
});

/** Subjects are one line: collapse any whitespace run (the schemas already refuse line breaks). */
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

// ---- plain text ----

function inlineText(inline: Inline): string {
  if (typeof inline === 'string') return inline;
  if ('strong' in inline) return inline.strong;
  if ('ui' in inline) return `«${inline.ui}»`;
  const { href, label } = inline;
  // A label that just repeats the address (or the mailto: address) adds nothing in plain text.
  if (!label || label === href || `mailto:${label}` === href) return label ?? href;
  return `${label} (${href})`;
}

const inlinesText = (content: Inline[]): string => content.map(inlineText).join('');

/** Continuation lines of a list item are indented under the item's text. */
const indentContinuation = (text: string, indent: string): string => text.split('\n').join(`\n${indent}`);

function blockText(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
      return inlinesText(block.content);
    case 'heading':
      return block.text;
    case 'bullets':
      return block.items.map((item) => `- ${indentContinuation(inlinesText(item), '  ')}`).join('\n');
    case 'steps':
      return block.items
        .map((item, i) => {
          const marker = `${i + 1}. `;
          return marker + indentContinuation(inlinesText(item), ' '.repeat(marker.length));
        })
        .join('\n');
    case 'fields':
      return block.rows.map((row) => `${row.label}: ${row.value}`).join('\n');
    case 'quote':
      return block.text
        .split('\n')
        .map((line) => `> ${line}`)
        .join('\n');
  }
}

// ---- HTML ----

const escapeMultiline = (text: string): string => escapeHtml(text).replace(/\r?\n/g, '<br>');

function inlineHtml(inline: Inline): string {
  if (typeof inline === 'string') return escapeMultiline(inline);
  if ('strong' in inline) return `<strong>${escapeHtml(inline.strong)}</strong>`;
  if ('ui' in inline) return `«<strong>${escapeHtml(inline.ui)}</strong>»`;
  return `<a href="${escapeHtml(inline.href)}">${escapeHtml(inline.label ?? inline.href)}</a>`;
}

const inlinesHtml = (content: Inline[]): string => content.map(inlineHtml).join('');

const STYLE = {
  p: 'margin:0 0 12px 0;',
  h2: 'font-size:16px;margin:20px 0 8px 0;',
  list: 'margin:0 0 12px 0;padding-left:24px;',
  li: 'margin:0 0 6px 0;',
  table: 'border-collapse:collapse;margin:0 0 12px 0;',
  th: 'text-align:left;vertical-align:top;padding:2px 12px 2px 0;font-weight:bold;white-space:nowrap;',
  td: 'vertical-align:top;padding:2px 0;',
  quote: 'margin:0 0 12px 0;padding:6px 12px;border-left:3px solid #b0b7c3;background:#f4f6f8;',
};

function blockHtml(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
      return `<p style="${STYLE.p}">${inlinesHtml(block.content)}</p>`;
    case 'heading':
      return `<h2 style="${STYLE.h2}">${escapeHtml(block.text)}</h2>`;
    case 'bullets':
    case 'steps': {
      const tag = block.kind === 'bullets' ? 'ul' : 'ol';
      const items = block.items.map((item) => `<li style="${STYLE.li}">${inlinesHtml(item)}</li>`).join('\n');
      return `<${tag} style="${STYLE.list}">\n${items}\n</${tag}>`;
    }
    case 'fields': {
      const rows = block.rows
        .map(
          (row) =>
            `<tr><th scope="row" style="${STYLE.th}">${escapeHtml(row.label)}</th>` +
            `<td style="${STYLE.td}">${escapeMultiline(row.value)}</td></tr>`,
        )
        .join('\n');
      return `<table role="presentation" style="${STYLE.table}">\n${rows}\n</table>`;
    }
    case 'quote':
      return `<blockquote style="${STYLE.quote}">${escapeMultiline(block.text)}</blockquote>`;
  }
}

export function renderDocument(doc: EmailDocument): RenderedEmail {
  const subject = oneLine(doc.subject);
  const text = `${doc.blocks.map(blockText).join('\n\n')}\n`;
  const html = [
    '<!DOCTYPE html>',
    '<html lang="it">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title>`,
    '</head>',
    '<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1b1f24;">',
    '<div style="max-width:640px;margin:0 auto;">',
    ...doc.blocks.map(blockHtml),
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
  return { subject, text, html };
}
