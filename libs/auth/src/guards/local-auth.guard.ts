import { LoginDto } from '../dto/login.dto';
import { SignInProofGuard } from './sign-in-proof.guard';

/** Validates the login body (400 for a malformed one), then checks the credentials with the local strategy. */
export const LocalAuthGuard = SignInProofGuard('local', LoginDto);
