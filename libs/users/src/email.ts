export const EMAIL_MAX_LENGTH = 254;

/** The one form an email is stored and compared in: trimmed, NFKC-normalised, lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase();
}
