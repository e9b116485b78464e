/**
 * The access-token panel's line about DPoP (RFC 9449): whether this session's token is bound to this browser's
 * key, so that a copy of it is useless anywhere else, or is a bearer token, and why.
 */
import type { DpopSupport, GatehouseClient } from '@gatehouse/client';

const WHY_BEARER: Record<DpopSupport, string> = {
  pending: '',
  ready: ': it began without this browser’s key (another device’s sign-in, or an older session)',
  unavailable: ': this browser offers no WebCrypto or IndexedDB here (a private window, or Lockdown Mode)',
  refused: ': the server refused this page’s proofs (is PUBLIC_URL where the page reaches it?)',
};

export function renderSessionBinding(client: GatehouseClient, line: HTMLElement): void {
  if (client.state.tokenType === null) {
    line.textContent = '';
  } else if (client.dpopBound) {
    line.textContent =
      'Session bound to this browser’s key (DPoP): a copy of the token is useless elsewhere.';
  } else {
    line.textContent = `Bearer session${WHY_BEARER[client.dpopSupport]}.`;
  }
  line.dataset.binding = client.state.tokenType ?? 'none';
}
