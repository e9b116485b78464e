import { ParsedMail } from 'mailparser';
import { TestMailbox } from './mailbox';

/** The subject of the mail that carries a sign-in code (and never the code itself). */
export const CODE_MAIL_SUBJECT = 'Your sign-in code';

/** A sign-in code as the contract words it: at least eight digits, alone on a line of the plain-text part. */
const CODE_LINE = /^(\d{8,})$/m;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a message is addressed to exactly `email` (not to another address that merely contains it). */
export function addressedTo(email: string): (mail: ParsedMail) => boolean {
  const wanted = email.toLowerCase();
  return (mail) => {
    const groups = mail.to === undefined ? [] : Array.isArray(mail.to) ? mail.to : [mail.to];
    return groups.some((group) => group.value.some((address) => address.address?.toLowerCase() === wanted));
  };
}

/** The code of a sign-in code mail, read as its owner would: the line of digits in the text. */
export function codeIn(message: ParsedMail): string {
  const match = CODE_LINE.exec(message.text ?? '');
  if (!match) throw new Error(`no sign-in code in:\n${message.text}`);
  return match[1];
}

/** The sign-in code mails a test mailbox has received, per address, in the order they arrived. */
export class CodeMails {
  constructor(private readonly mailbox: TestMailbox) {}

  /** Every sign-in code mail to `email` so far. */
  to(email: string): ParsedMail[] {
    const toEmail = addressedTo(email);
    return this.mailbox.messages.filter((mail) => toEmail(mail) && mail.subject === CODE_MAIL_SUBJECT);
  }

  /** Every message of any kind to `email` so far. */
  anyTo(email: string): ParsedMail[] {
    return this.mailbox.messages.filter(addressedTo(email));
  }

  /**
   * Waits for a code mail to `email` beyond the first `seen` (the request answers before the mail is even made)
   * and returns that mail.
   */
  async after(email: string, seen: number, timeoutMs = 10_000): Promise<ParsedMail> {
    const deadline = Date.now() + timeoutMs;
    while (this.to(email).length <= seen) {
      if (Date.now() > deadline)
        throw new Error(`no sign-in code mail #${seen + 1} to ${email} within ${timeoutMs} ms`);
      await sleep(20);
    }
    return this.to(email)[seen];
  }

  /** As `after`, the code the mail carries. */
  async codeAfter(email: string, seen: number, timeoutMs = 10_000): Promise<string> {
    return codeIn(await this.after(email, seen, timeoutMs));
  }
}

/** A code of the same length as `code` that is not it: the `index`-th such, for many distinct wrong tries. */
export function wrongCode(code: string, index = 0): string {
  const space = 10 ** code.length;
  return String((Number(code) + 1 + index) % space).padStart(code.length, '0');
}
