import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import { DeliverableMail, MailDelivery } from './mail-delivery';
import { messageFields } from './message-fields';

/**
 * The development mailbox: each message becomes an `.eml` file (open it with any mail client) in one directory,
 * named by time and purpose so the newest sorts last.
 */
export class FileDelivery extends MailDelivery {
  private readonly transport: Transporter;

  constructor(
    private readonly directory: string,
    private readonly from: string,
  ) {
    super();
    this.transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' }, { from });
  }

  async deliver(message: DeliverableMail): Promise<string> {
    const info: { message?: unknown } = await this.transport.sendMail(messageFields(message, this.from));
    if (!Buffer.isBuffer(info.message)) throw new Error('the stream transport gave no buffer');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `${stamp}-${message.purpose.replace(/[^A-Za-z0-9_-]/g, '_')}-${message.id}.eml`;
    await mkdir(this.directory, { recursive: true });
    // Written aside and renamed, so a reader never opens half a message.
    const partial = join(this.directory, `.${name}.partial`);
    await writeFile(partial, info.message, { mode: 0o600 });
    await rename(partial, join(this.directory, name));
    return `written to outbox/${name}`;
  }
}
