/** The NOTIFY channel that tells every instance a message has been queued (the payload is empty). */
export const MAIL_CHANNEL = 'gatehouse_mail';
