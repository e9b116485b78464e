/** A message as its sender rendered it; mail knows nothing of what it is about beyond `purpose`. */
export type OutgoingMail = {
  to: string;
  subject: string;
  /** The plain-text part, which every message has. */
  text: string;
  html?: string;
  /** What the message is for (`verify_email`, `password_reset`, …): kept with the record, named in the logs. */
  purpose: string;
  /** When the token in the message expires: the message is given up then if still undelivered. */
  expiresAt?: Date;
  /** The address itself is wiped once the message is done with: the farewell to an account being deleted. */
  forgetRecipient?: boolean;
};
