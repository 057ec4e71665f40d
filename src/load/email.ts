/**
 * E-mail: a message (`.eml`) as Markdown, its subject as the heading, who wrote it to whom and
 * when on the first line, then its text (or its HTML as Markdown). A mailbox (`.mbox`) is one
 * section per message, in order. Parsed with postal-mime (MIME, encodings, character sets);
 * attachments are left out.
 * @module load/email
 */
import PostalMime from 'postal-mime';
import { LoadError, messageOf } from '../errors.js';
import { htmlToMarkdown } from './docx.js';

type Address = { name?: string | undefined; address?: string | undefined } | undefined;

const who = (address: Address): string =>
  address === undefined ? '' : address.name ? `${address.name} <${address.address ?? ''}>` : (address.address ?? '');

/** One message as Markdown; `level` is its heading's level (2 inside a mailbox). */
export async function emailToMarkdown(raw: string | Uint8Array, location: string, level = 1): Promise<string> {
  let email: Awaited<ReturnType<typeof PostalMime.parse>>;
  try {
    email = await PostalMime.parse(typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
  } catch (error) {
    throw new LoadError('load.corrupt', `${location} is not a readable e-mail message: ${messageOf(error)}`, {
      cause: error,
      context: { file: location },
    });
  }
  const body = (email.text ?? '').trim() || (email.html ? htmlToMarkdown(email.html) : '');
  const to = (email.to ?? []).map(who).filter(Boolean).join(', ');
  const line = [email.from ? `From: ${who(email.from)}` : '', to ? `To: ${to}` : '', email.date ? `Date: ${email.date}` : '']
    .filter(Boolean)
    .join(' · ');
  const subject = (email.subject ?? '').trim() || '(no subject)';
  if (body === '' && line === '')
    throw new LoadError('load.empty-file', `${location} has no message text`, { context: { file: location } });
  return [`${'#'.repeat(level)} ${subject}`, line, body].filter((part) => part !== '').join('\n\n');
}

/** A mailbox: messages split at their `From ` separator lines, each a section headed by its subject. */
export async function mboxToMarkdown(text: string, location: string): Promise<string> {
  const messages = text.split(/^From .*\r?\n/m).filter((message) => message.trim() !== '');
  if (messages.length === 0) throw new LoadError('load.empty-file', `${location} has no messages`, { context: { file: location } });
  const sections: string[] = [];
  for (const [index, message] of messages.entries()) {
    // mboxrd quoting: a line `>From ` in a body was `From ` once.
    sections.push(await emailToMarkdown(message.replace(/^>(>*From )/gm, '$1'), `${location} (message ${index + 1})`));
  }
  return sections.join('\n\n');
}
