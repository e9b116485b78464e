import { describeDeliveryFailure } from './delivery-failure';

function smtpError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error('Mail command failed: 451 4.7.1 <someone@example.com> try later'), fields);
}

describe('describeDeliveryFailure', () => {
  it('names the codes and the command of an SMTP refusal, never the reply text', () => {
    const failure = describeDeliveryFailure(
      smtpError({ code: 'EENVELOPE', responseCode: 451, command: 'MAIL FROM' }),
    );
    expect(failure).toEqual({ permanent: false, summary: 'EENVELOPE SMTP 451 on MAIL FROM' });
  });

  it('gives up on an address the server refuses for good', () => {
    const failure = describeDeliveryFailure(
      smtpError({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }),
    );
    expect(failure.permanent).toBe(true);
  });

  it('keeps retrying when the server itself is in trouble, even with a 5xx', () => {
    expect(
      describeDeliveryFailure(smtpError({ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }))
        .permanent,
    ).toBe(false);
    expect(
      describeDeliveryFailure(smtpError({ code: 'EMESSAGE', responseCode: 554, command: 'DATA' })).permanent,
    ).toBe(false);
  });

  it('says what the network said when no server answered', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' });
    expect(describeDeliveryFailure(error)).toEqual({
      permanent: false,
      summary: 'ESOCKET connect ECONNREFUSED 127.0.0.1:2525',
    });
  });

  it('stays short', () => {
    expect(describeDeliveryFailure(new Error('x'.repeat(1000))).summary).toHaveLength(200);
  });
});
