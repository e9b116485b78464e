/**
 * The one client every panel calls through (@gatehouse/client, libs/client): one access token, one refresh
 * schedule and one view of the session for the whole page.
 */
import { GatehouseClient } from '@gatehouse/client';
import { askForProof } from './reauth-dialog';

/** Whether the dialog may offer a passkey: only the passkeys panel knows, so main.ts hands its answer over. */
let passkeysOnOffer = (): boolean => false;

export function offerPasskeysWhen(onOffer: () => boolean): void {
  passkeysOnOffer = onOffer;
}

export const client: GatehouseClient = new GatehouseClient({
  autoRefresh: true,
  // A route that wants a recent sign-in asks for the password, a code or a passkey, then goes on. A session that
  // lacks the second factor is not asked here: the page tells the user to sign in again with it.
  onReauthenticationRequired: (request) =>
    request.secondFactor ? Promise.resolve(null) : askForProof(request, passkeysOnOffer()),
});
