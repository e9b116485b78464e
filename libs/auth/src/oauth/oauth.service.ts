import { Webhooks } from '@gatehouse/audit';
import { UserDto, UsersService } from '@gatehouse/users';
import { ForbiddenException, HttpException, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountChanges, NO_CHANGE } from '../changes/account-changes';
import { SecurityEvents } from '../security-events';
import {
  ACCOUNT_DISABLED,
  EMAIL_NOT_VERIFIED,
  IssuedTokens,
  SignInOutcome,
  SignInProof,
  SignInService,
} from '../sign-in/sign-in.service';
import type { IssuedChallenge } from '../mfa/mfa-challenges';
import { ClientInfo } from '../tokens/token.service';
import { Identities } from './identities';
import { LoginTransactions } from './login-transactions';
import { failureFromClientError, OAuthFailure } from './oauth-failure';
import { ProviderProfile, SignInProvider } from './sign-in-provider';
import { SignInProviders } from './sign-in-providers';

/** A flow begun: where to send the browser, and the transaction its cookie names. */
export interface StartedFlow {
  url: URL;
  transactionId: string;
}

/** How a callback ended: a session started, or (in a link flow) an identity attached to the caller. */
export type CallbackOutcome =
  | { kind: 'signed_in'; tokens: IssuedTokens; returnTo: string }
  | { kind: 'mfa'; challenge: IssuedChallenge }
  | { kind: 'linked'; returnTo: string };

/**
 * Sign-in through other providers, between the routes and the sign-in function: begins a flow, and at the
 * callback decides who the provider's identity is (the contract's four rules) and ends in SignInService like a
 * password login.
 */
@Injectable()
export class OAuthService {
  private readonly log = new Logger(OAuthService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly providers: SignInProviders,
    private readonly transactions: LoginTransactions,
    private readonly identities: Identities,
    private readonly users: UsersService,
    private readonly signIns: SignInService,
    private readonly events: SecurityEvents,
    private readonly changes: AccountChanges,
    private readonly webhooks: Webhooks,
  ) {}

  /**
   * A new flow: the provider's authorization URL, and a stored transaction. Throws an OAuthFailure when the
   * provider cannot be reached (nothing is stored then).
   */
  async start(
    providerId: string,
    returnTo: string,
    link?: { userId: string; sessionId: string },
    dpopJkt?: string,
  ): Promise<StartedFlow> {
    const provider = this.providers.get(providerId);
    // Checked again when the link is made; refused here so the user is not sent to the provider for nothing.
    if (link && !(await this.users.findById(link.userId))?.emailVerifiedAt) {
      throw new ForbiddenException(EMAIL_NOT_VERIFIED);
    }
    const secrets = this.transactions.secrets(provider.usesNonce);
    let url: URL;
    try {
      url = await provider.authorizationUrl(secrets, this.providers.redirectUri(provider.id));
    } catch (error) {
      throw this.failed(provider.id, failureFromClientError(error), link?.userId);
    }
    const transactionId = await this.transactions.store(
      { provider: provider.id, returnTo, usesNonce: provider.usesNonce, link, dpopJkt },
      secrets,
    );
    return { url, transactionId };
  }

  /**
   * Finishes a flow: consumes the transaction the cookie names (once, on any instance), lets the provider
   * check the response and exchange the code, then signs in or links. Throws an OAuthFailure with the code the
   * front end is told; every failure is a security event.
   */
  async callback(
    providerId: string,
    transactionId: string | undefined,
    query: string,
    client: ClientInfo,
  ): Promise<CallbackOutcome> {
    const provider = this.providers.get(providerId);
    const transaction = await this.transactions.consume(transactionId);
    try {
      if (!transaction || transaction.provider !== provider.id) throw new OAuthFailure('invalid_request');
      const callbackUrl = new URL(this.providers.redirectUri(provider.id));
      callbackUrl.search = query;
      const profile = await provider.complete(callbackUrl, transaction);
      if (transaction.link) {
        await this.link(provider, profile, transaction.link, client);
        return { kind: 'linked', returnTo: transaction.returnTo };
      }
      // The session is bound to the key `start` named (RFC 9449 §10): the browser's own proof never reaches here.
      const outcome = await this.signIn(provider, profile, { ...client, proofKey: transaction.dpopJkt });
      if (outcome.kind === 'mfa') return outcome;
      return { kind: 'signed_in', tokens: outcome.tokens, returnTo: transaction.returnTo };
    } catch (error) {
      if (!(error instanceof OAuthFailure)) {
        // The database or a bug, not the provider's answer: logged by name only (a message could quote input).
        this.log.error(
          { error: error instanceof Error ? error.name : typeof error },
          'provider sign-in failed',
        );
      }
      throw this.failed(provider.id, failureFromClientError(error), transaction?.link?.userId);
    }
  }

  private async signIn(
    provider: SignInProvider,
    profile: ProviderProfile,
    client: ClientInfo,
  ): Promise<SignInOutcome> {
    const { proof, created } = await this.whoSignsIn(provider, profile);
    let outcome: SignInOutcome;
    try {
      outcome = await this.signIns.signIn(proof, client);
    } catch (error) {
      throw this.refusalOf(error);
    }
    if (created) this.events.announce('oauth.user_created', { userId: proof.userId, provider: provider.id });
    // With a second factor on, the provider was only the first: the session starts at mfa/verify.
    if (outcome.kind === 'session') {
      const { sessionId } = outcome.tokens;
      this.events.record('oauth.signed_in', { userId: proof.userId, sessionId, provider: provider.id });
    }
    return outcome;
  }

  /**
   * Rules 1, 3 and 4 of the contract: a known identity is its user; an address that belongs to an account is
   * never linked automatically; otherwise a user is created, only for an address the provider has verified.
   */
  private async whoSignsIn(
    provider: SignInProvider,
    profile: ProviderProfile,
  ): Promise<{ proof: SignInProof; created: boolean }> {
    return this.dataSource.transaction(async (db) => {
      const proofFor = async (userId: string): Promise<SignInProof> => {
        const [user] = await db.query<{ credentials_version: number }[]>(
          'SELECT credentials_version FROM users WHERE id = $1',
          [userId],
        );
        if (!user) throw new OAuthFailure('invalid_request');
        return { userId, credentialsVersion: user.credentials_version, amr: ['fed'] };
      };
      const known = await this.identities.signInUserOf(db, profile);
      if (known) return { proof: await proofFor(known), created: false };
      if (profile.email && (await this.users.isEmailTaken(profile.email, db)))
        throw new OAuthFailure('account_exists');
      if (!profile.email || !profile.emailVerified) throw new OAuthFailure('email_unverified');
      const user = await this.users.createVerified(db, { email: profile.email, displayName: profile.name });
      if (!user) {
        // The address was taken meanwhile: by a concurrent first sign-in of this same identity (now committed,
        // so this statement sees it), or by someone else's registration.
        const concurrent = await this.identities.signInUserOf(db, profile);
        if (concurrent) return { proof: await proofFor(concurrent), created: false };
        throw new OAuthFailure('account_exists');
      }
      if ((await this.identities.attach(db, user.id, provider.id, profile)) !== 'attached') {
        throw new OAuthFailure('identity_in_use');
      }
      await this.events.store(db, 'oauth.user_created', { userId: user.id, provider: provider.id });
      await this.webhooks.emit(db, 'user.created', { ...UserDto.from(user) });
      return {
        proof: { userId: user.id, credentialsVersion: user.credentialsVersion, amr: ['fed'] },
        created: true,
      };
    });
  }

  /**
   * Rule 2: during a link flow, the identity goes to the caller, unless another user has it. A change to how the
   * account is entered, so through the change function: the session that began the flow (with a recent sign-in)
   * must still be live, the address verified, and the account's address is told.
   */
  private async link(
    provider: SignInProvider,
    profile: ProviderProfile,
    link: { userId: string; sessionId: string },
    client: ClientInfo,
  ): Promise<void> {
    try {
      await this.changes.change({
        kind: 'identity_linked',
        userId: link.userId,
        proof: { kind: 'provider_link', sessionId: link.sessionId },
        client,
        details: { provider: provider.id },
        apply: async (scope) => {
          const outcome = await this.identities.link(scope, provider.id, profile);
          if (outcome === 'in_use') throw new OAuthFailure('identity_in_use');
          return outcome === 'attached' ? true : NO_CHANGE;
        },
      });
    } catch (error) {
      throw this.refusalOf(error);
    }
  }

  /** The sign-in function's refusal, as the code the front end is told. */
  private refusalOf(error: unknown): unknown {
    if (!(error instanceof HttpException)) return error;
    if (error instanceof ForbiddenException && error.message === ACCOUNT_DISABLED) {
      return new OAuthFailure('account_disabled');
    }
    if (error instanceof ForbiddenException && error.message === EMAIL_NOT_VERIFIED) {
      return new OAuthFailure('email_unverified');
    }
    // The credentials changed between the identity check and the session: try again.
    return new OAuthFailure('invalid_request');
  }

  private failed(providerId: string, failure: OAuthFailure, userId?: string): OAuthFailure {
    this.events.record('oauth.failed', { provider: providerId, reason: failure.code, userId });
    return failure;
  }
}
