import { AppConfig } from '@gatehouse/config';
import { User, UserDto, UsersService } from '@gatehouse/users';
import {
  ForbiddenException,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { TokenResponseDto } from './dto/token-response.dto';
import { SecurityEvents } from './security-events';
import { ClientInfo, IssuedRefreshToken, RotationResult, TokenService } from './tokens/token.service';
import { TokenSigner } from './tokens/token-signer';
import { AuthUser, RefreshClaims } from './tokens/token-types';

/** What a successful login or refresh produces: the JSON body and the refresh token for the cookie. */
export interface IssuedTokens {
  body: TokenResponseDto;
  refresh: IssuedRefreshToken;
}

/** The auth use cases, between the HTTP layer and the token and user services. */
@Injectable()
export class AuthService {
  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly signer: TokenSigner,
    private readonly events: SecurityEvents,
  ) {}

  async login(user: User, client: ClientInfo): Promise<IssuedTokens> {
    const { sessionId, refresh } = await this.tokens.startSession(user, client);
    this.events.record('login.succeeded', { userId: user.id, sessionId, ip: client.ip });
    return { body: this.tokenResponse(user, sessionId), refresh };
  }

  /**
   * Rotates the refresh token. Undefined means the token must be refused (and the cookie cleared). A failure of
   * the database is a 503, never a 401: a client must not log its user out because of a blip.
   */
  async refresh(claims: RefreshClaims, client: ClientInfo): Promise<IssuedTokens | undefined> {
    let result: RotationResult;
    try {
      result = await this.tokens.rotate(claims, client);
    } catch {
      throw new ServiceUnavailableException('the session store is unavailable; try again shortly');
    }
    if (result.outcome !== 'rotated' && result.outcome !== 'race') return undefined;
    return { body: this.tokenResponse(result.user, result.sessionId), refresh: result.refresh };
  }

  async logout(claims: RefreshClaims | undefined): Promise<void> {
    if (claims) await this.tokens.revokeSession(claims.sessionId, 'logout', claims.userId);
  }

  async logoutAll(caller: AuthUser): Promise<void> {
    await this.tokens.revokeUserSessions(caller.id, 'logout_all');
  }

  /** Checks the current password, sets the new one, and ends every other session of the user. */
  async changePassword(caller: AuthUser, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new NotFoundException('user not found');
    if (!(await this.users.verifyPassword(user, currentPassword))) {
      throw new ForbiddenException('current password is wrong');
    }
    await this.users.changePassword(user, newPassword);
    await this.tokens.revokeUserSessions(user.id, 'password_changed', caller.sessionId);
    this.events.record('password.changed', { userId: user.id, sessionId: caller.sessionId });
  }

  private tokenResponse(user: User, sessionId: string): TokenResponseDto {
    return {
      accessToken: this.signer.signAccessToken(user, sessionId),
      tokenType: 'Bearer',
      expiresIn: this.config.tokens.accessTtl,
      user: UserDto.from(user),
    };
  }
}
