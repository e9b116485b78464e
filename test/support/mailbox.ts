import { ParsedMail, simpleParser } from 'mailparser';
import { AddressInfo } from 'node:net';
import { SMTPServer, SMTPServerDataStream } from 'smtp-server';

type Waiter = { predicate: (message: ParsedMail) => boolean; resolve: (message: ParsedMail) => void };

/**
 * A message whose final dot has arrived and whose answer is held back: the client is still waiting to hear
 * whether it was accepted. `dropped` resolves if the client goes away first: then it never was.
 */
export type HeldMessage = {
  readonly message: ParsedMail;
  /** Answers 250: the message counts as received from now on. */
  accept(): void;
  /** Answers with a temporary failure (451): the client must try again. */
  refuse(): void;
  readonly dropped: Promise<void>;
};

type PendingHold = { resolve: (held: HeldMessage) => void };

/** An SMTP reply with a code, as smtp-server sends it back to the client. */
function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

/**
 * A real SMTP server in the test process, on 127.0.0.1, speaking plain SMTP (no STARTTLS, no authentication
 * required). Every message it accepts is parsed and kept in `messages`. `url` is what to give `SMTP_URL`:
 * `ignoreTLS=true` tells nodemailer not to ask for STARTTLS.
 */
export class TestMailbox {
  readonly messages: ParsedMail[] = [];
  private server?: SMTPServer;
  private refusing = false;
  private waiters: Waiter[] = [];
  private pendingHold?: PendingHold;
  private answerDelayMs = 0;
  private readonly closedSessions = new Map<string, () => void>();

  private constructor(private port: number) {}

  static async start(): Promise<TestMailbox> {
    const mailbox = new TestMailbox(0);
    await mailbox.listen();
    return mailbox;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}?ignoreTLS=true`;
  }

  /** While on, every MAIL FROM and RCPT TO is answered 451, as a mail server in trouble would. */
  refuseAll(on: boolean): void {
    this.refusing = on;
  }

  /** Answers each message only this long after its final dot, as a slow or distant server would. */
  delayAnswers(ms: number): void {
    this.answerDelayMs = ms;
  }

  /**
   * Holds the answer to the next message that arrives (see HeldMessage); resolves once it has. Messages after it
   * are answered as usual.
   */
  holdNext(timeoutMs = 15_000): Promise<HeldMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingHold = undefined;
        reject(new Error(`no message to hold within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingHold = {
        resolve: (held) => {
          clearTimeout(timer);
          resolve(held);
        },
      };
    });
  }

  /** The first message (already received or still to come) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (message: ParsedMail) => boolean, timeoutMs = 5000): Promise<ParsedMail> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching message within ${timeoutMs} ms (${this.messages.length} received)`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /** Stops and listens again on the same port, as a mail server coming back would. */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen();
  }

  private listen(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // Clients of a test close their connection after each message; do not wait long for a straggler.
      closeTimeout: 1000,
      onMailFrom: (_address, _session, callback) =>
        callback(this.refusing ? smtpError(451, 'Try again later') : null),
      onRcptTo: (_address, _session, callback) =>
        callback(this.refusing ? smtpError(451, 'Try again later') : null),
      onData: (stream, session, callback) => this.receive(stream, session.id, callback),
      onClose: (session) => {
        this.closedSessions.get(session.id)?.();
        this.closedSessions.delete(session.id);
      },
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.server.off('error', reject);
        this.port = (server.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private receive(
    stream: SMTPServerDataStream,
    sessionId: string,
    callback: (error?: Error | null) => void,
  ): void {
    simpleParser(stream).then(
      (message) => {
        const hold = this.pendingHold;
        if (!hold) {
          setTimeout(() => {
            this.accept(message);
            callback();
          }, this.answerDelayMs);
          return;
        }
        this.pendingHold = undefined;
        const dropped = new Promise<void>((resolve) => this.closedSessions.set(sessionId, resolve));
        hold.resolve({
          message,
          accept: () => {
            this.accept(message);
            callback();
          },
          refuse: () => callback(smtpError(451, 'Try again later')),
          dropped,
        });
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private accept(message: ParsedMail): void {
    this.messages.push(message);
    const ready = this.waiters.filter((waiter) => waiter.predicate(message));
    this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve(message);
  }
}
