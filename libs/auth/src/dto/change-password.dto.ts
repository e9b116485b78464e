import { PasswordField } from './text-rules';

export class ChangePasswordDto {
  @PasswordField('the password in use now')
  currentPassword: string;

  @PasswordField('the new password: the same policy as at registration')
  newPassword: string;
}
