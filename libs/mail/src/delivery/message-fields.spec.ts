import { createTransport } from 'nodemailer';
import { simpleParser } from 'mailparser';
import { messageFields, outboxMessageId } from './message-fields';

const ROW = '3f2b8c1e-9a4d-4e51-b0c7-5d6e7f8a9b0c';

describe('outboxMessageId', () => {
  it('names the row and the domain of MAIL_FROM, with or without a display name', () => {
    expect(outboxMessageId(ROW, 'Gatehouse <no-reply@localhost>')).toBe(`<${ROW}@localhost>`);
    expect(outboxMessageId(ROW, 'accounts@mail.acme.test')).toBe(`<${ROW}@mail.acme.test>`);
  });
});

describe('messageFields', () => {
  it('gives every rendering of one row the same Message-ID header', async () => {
    const transport = createTransport({ streamTransport: true, buffer: true });
    const row = {
      id: ROW,
      to: 'a@example.test',
      subject: 'Hi',
      text: 'Hello',
      html: null,
      purpose: 'verify_email',
    };
    const ids: (string | undefined)[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const info: { message?: unknown } = await transport.sendMail({
        from: 'Gatehouse <no-reply@acme.test>',
        ...messageFields(row, 'Gatehouse <no-reply@acme.test>'),
      });
      ids.push((await simpleParser(info.message as Buffer)).messageId);
    }
    expect(ids).toEqual([`<${ROW}@acme.test>`, `<${ROW}@acme.test>`]);
  });
});
