/** What leaves the outbox: the rendered message, nothing of the row's bookkeeping. */
export type DeliverableMail = {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  purpose: string;
};

/** Hands one message on: to an SMTP server, or to a file in development. */
export abstract class MailDelivery {
  /** Resolves once the message is accepted, with where it went, fit for a log line (never its content). */
  abstract deliver(message: DeliverableMail): Promise<string>;

  /** Whether the server mail goes to accepts connections; `undefined` when there is no server to ask. */
  reachable(): Promise<boolean | undefined> {
    return Promise.resolve(undefined);
  }
}
