const MAX_SUMMARY_LENGTH = 200;

/** Why a delivery failed, in a few words fit for a log line and the row, and whether trying again is pointless. */
export type DeliveryFailure = { permanent: boolean; summary: string };

type SmtpErrorFields = { code?: unknown; responseCode?: unknown; command?: unknown; message?: unknown };

/**
 * Reads nodemailer's error fields. The server's reply text is left out (it may quote the envelope); the codes and
 * the command say enough. A 550-553 answer to RCPT TO means the address itself is refused: retrying cannot help.
 */
export function describeDeliveryFailure(error: unknown): DeliveryFailure {
  const fields: SmtpErrorFields = typeof error === 'object' && error !== null ? error : {};
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;
  const command = typeof fields.command === 'string' ? fields.command : undefined;
  let summary: string;
  if (responseCode !== undefined) {
    summary = [code, `SMTP ${responseCode}`, command && `on ${command}`].filter(Boolean).join(' ');
  } else {
    const message = typeof fields.message === 'string' ? fields.message : String(error);
    summary = code && !message.includes(code) ? `${code} ${message}` : message;
  }
  const permanent =
    responseCode !== undefined && responseCode >= 550 && responseCode <= 553 && /RCPT/i.test(command ?? '');
  return { permanent, summary: summary.replace(/\s+/g, ' ').slice(0, MAX_SUMMARY_LENGTH) };
}
