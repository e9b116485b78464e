import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { createHash, generateKeyPairSync, KeyObject, randomBytes, randomInt, sign } from 'node:crypto';
import { isIP } from 'node:net';

/*
 * A software FIDO2 authenticator and the browser side of WebAuthn, for tests: what a platform authenticator
 * behind `navigator.credentials.create()` / `.get()` and `PublicKeyCredential.toJSON()` would hand a web page.
 * Real cryptography (ES256 on P-256 from node:crypto), real CBOR, attestation "none". Nothing is mocked, so a
 * server that verifies these responses verifies real ones; the knobs below make the hostile variants.
 */

// ---------------------------------------------------------------------------------------------------------------
// CBOR (RFC 8949), only what WebAuthn's attestation object and COSE keys need.

/** A CBOR data item: unsigned and negative integers, byte strings, text strings, and maps of them. */
export type CborValue = number | string | Uint8Array | CborMap;
/** A Map rather than an object: COSE keys are integers (some negative), and their order is the encoding's. */
export type CborMap = Map<number | string, CborValue>;

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_MAP = 5;

/** The initial byte(s) of an item: its major type and an argument (a value or a length) in the shortest form. */
function cborHead(major: number, argument: number): Buffer {
  if (!Number.isSafeInteger(argument) || argument < 0 || argument > 0xffffffff)
    throw new RangeError(`CBOR argument out of range: ${argument}`);
  const type = major << 5;
  if (argument < 24) return Buffer.from([type | argument]);
  if (argument < 0x100) return Buffer.from([type | 24, argument]);
  if (argument < 0x10000) {
    const head = Buffer.alloc(3);
    head[0] = type | 25;
    head.writeUInt16BE(argument, 1);
    return head;
  }
  const head = Buffer.alloc(5);
  head[0] = type | 26;
  head.writeUInt32BE(argument, 1);
  return head;
}

/**
 * Encodes one item. Map entries are written in insertion order: callers insert them in CTAP2's canonical order
 * (shorter encoded keys first), which is what an authenticator sends.
 */
export function cborEncode(value: CborValue): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError('only integers are supported');
    // A negative integer n is carried as -1 - n (so -1 is 0, -7 is 6).
    return value >= 0 ? cborHead(MAJOR_UNSIGNED, value) : cborHead(MAJOR_NEGATIVE, -1 - value);
  }
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(MAJOR_TEXT, text.length), text]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(MAJOR_BYTES, value.length), value]);
  const parts = [cborHead(MAJOR_MAP, value.size)];
  for (const [key, item] of value) parts.push(cborEncode(key), cborEncode(item));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------------------
// Keys and the bytes WebAuthn signs.

const COSE_ALG_ES256 = -7;

// Authenticator data flags (WebAuthn §6.1).
const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_BACKUP_ELIGIBLE = 0x08;
const FLAG_BACKED_UP = 0x10;
const FLAG_ATTESTED_CREDENTIAL_DATA = 0x40;

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();
const base64url = (data: Uint8Array): string => Buffer.from(data).toString('base64url');

/** The credential public key as a COSE_Key (RFC 9053): EC2, ES256, P-256, x and y. */
function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) throw new Error('not an EC public key');
  const key: CborMap = new Map<number, CborValue>([
    [1, 2], // kty: EC2
    [3, COSE_ALG_ES256], // alg
    [-1, 1], // crv: P-256
    [-2, Buffer.from(jwk.x, 'base64url')],
    [-3, Buffer.from(jwk.y, 'base64url')],
  ]);
  return cborEncode(key);
}

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter >>> 0);
  return bytes;
}

interface AuthenticatorDataInput {
  rpId: string;
  flags: number;
  counter: number;
  /** Present at registration only: aaguid, credential id length and id, then the COSE public key. */
  attestedCredentialData?: Buffer;
}

/** rpIdHash (32) | flags (1) | signCount (4, big-endian) | attested credential data (registration only). */
function authenticatorData({ rpId, flags, counter, attestedCredentialData }: AuthenticatorDataInput): Buffer {
  const parts = [sha256(rpId), Buffer.from([flags]), counterBytes(counter)];
  if (attestedCredentialData) parts.push(attestedCredentialData);
  return Buffer.concat(parts);
}

/** aaguid (16 zero bytes: attestation "none" says nothing about the model) | L (2) | credential id | COSE key. */
function attestedCredentialData(credentialId: Buffer, publicKey: KeyObject): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(credentialId.length);
  return Buffer.concat([Buffer.alloc(16), length, credentialId, coseKey(publicKey)]);
}

/** The JSON the browser writes and hashes: the page's origin and the server's challenge, as the client saw them. */
function clientDataJSON(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

// ---------------------------------------------------------------------------------------------------------------
// The authenticator.

/** The DOMException names a browser rejects `navigator.credentials.*` with. */
export type WebAuthnErrorName =
  'InvalidStateError' | 'NotAllowedError' | 'NotSupportedError' | 'SecurityError';

export class WebAuthnError extends Error {
  constructor(
    override readonly name: WebAuthnErrorName,
    message: string,
  ) {
    super(`${name}: ${message}`);
  }
}

/** A discoverable (resident) credential held by the authenticator. */
export interface SoftCredential {
  /** The credential id, base64url, as `id` and `rawId` carry it. */
  readonly id: string;
  readonly rpId: string;
  /** The user handle from the creation options' `user.id` (base64url), returned with every assertion. */
  readonly userHandle: string;
  /** What the creation options called the account (`user.name`): an account chooser shows it. */
  readonly userName: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The signature counter last reported. */
  counter: number;
  /** A synced passkey (backup eligible and backed up) always reports 0, as iCloud Keychain and Google's do. */
  readonly synced: boolean;
}

/** Deliberate departures from an honest browser and authenticator, shared by create and get. */
export interface CeremonyKnobs {
  /** `false` clears UV: the user was present but not verified (no PIN, no biometrics). */
  userVerified?: boolean;
  /** `false` clears UP too. */
  userPresent?: boolean;
  /** The origin written into clientDataJSON, instead of the page's (a phishing page, a misconfigured client). */
  origin?: string;
  /** The RP id hashed into the authenticator data, instead of the real one (a credential scoped to another RP). */
  rpId?: string;
  /** The signature counter to report (and remember): backwards like a clone, or 0 like a synced passkey. */
  counter?: number;
  /** clientDataJSON's `type` ('webauthn.get' in a create, or the reverse). */
  type?: string;
  /** clientDataJSON's `challenge`, instead of the server's. */
  challenge?: string;
}

export interface CreateKnobs extends CeremonyKnobs {
  /** Make a synced passkey: BE and BS flags set, counter 0 for ever. */
  synced?: boolean;
  /**
   * Attest a credential this authenticator already holds (same id, same key) instead of making a new one, and
   * ignore `excludeCredentials`: a hostile client registering a credential the server already knows.
   */
  existingCredentialId?: string;
}

export interface GetKnobs extends CeremonyKnobs {
  /** Flip a bit of the signature: a forged or corrupted assertion. */
  tamperSignature?: boolean;
  /** Which credential to use when several match: the account the user picks in the chooser. */
  credentialId?: string;
  /** The user handle to return, instead of the credential's. */
  userHandle?: string;
}

/**
 * What a relying party may use as an RP id for a page at `origin`: its host or a parent domain of it, never an
 * IP address (browsers refuse those with SecurityError), and the page must be a secure context.
 */
function checkRpIdForOrigin(rpId: string, origin: string): void {
  const url = new URL(origin);
  if (isIP(rpId) || isIP(url.hostname.replace(/^\[|\]$/g, '')))
    throw new WebAuthnError('SecurityError', `${rpId} is an invalid domain`);
  const secure =
    url.protocol === 'https:' || url.hostname === 'localhost' || url.hostname.endsWith('.localhost');
  if (!secure) throw new WebAuthnError('SecurityError', `${origin} is not a secure context`);
  if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`))
    throw new WebAuthnError(
      'SecurityError',
      `the RP id ${rpId} is not a registrable suffix of ${url.hostname}`,
    );
}

/** One authenticator (a phone, a laptop) with its own credentials; one per user is usual in tests. */
export class SoftAuthenticator {
  private readonly credentials: SoftCredential[] = [];

  /** The credentials this authenticator holds, newest last. */
  get all(): readonly SoftCredential[] {
    return this.credentials;
  }

  /** The credential with this id, or an error naming it. */
  credential(id: string): SoftCredential {
    const found = this.credentials.find((credential) => credential.id === id);
    if (!found) throw new Error(`no credential ${id} on this authenticator`);
    return found;
  }

  /**
   * A second authenticator holding a copy of one credential: the same private key and the counter it had at
   * the moment of copying, as an attacker who extracted the key would have. Once the original has signed again,
   * the copy's next counter is one the server has already seen.
   */
  clone(credentialId: string): SoftAuthenticator {
    const original = this.credential(credentialId);
    const copy = new SoftAuthenticator();
    copy.credentials.push({ ...original });
    return copy;
  }

  /** `navigator.credentials.create({publicKey})` followed by `credential.toJSON()`, at a page of `origin`. */
  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
    knobs: CreateKnobs = {},
  ): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(origin).hostname;
    checkRpIdForOrigin(rpId, origin);
    if (!options.pubKeyCredParams.some((param) => param.alg === COSE_ALG_ES256))
      throw new WebAuthnError('NotSupportedError', 'ES256 is the only algorithm this authenticator has');
    const existing = knobs.existingCredentialId;
    if (existing === undefined) this.refuseExcluded(options, rpId);
    const credential =
      existing === undefined ? this.newCredential(options, rpId, knobs) : this.credential(existing);

    let flags = this.userFlags(knobs) | FLAG_ATTESTED_CREDENTIAL_DATA;
    if (credential.synced) flags |= FLAG_BACKUP_ELIGIBLE | FLAG_BACKED_UP;
    const authData = authenticatorData({
      rpId: knobs.rpId ?? rpId,
      flags,
      counter: credential.counter,
      attestedCredentialData: attestedCredentialData(
        Buffer.from(credential.id, 'base64url'),
        credential.publicKey,
      ),
    });
    // Attestation "none": the format, an empty statement, and the authenticator data, in canonical key order.
    const attestationObject = cborEncode(
      new Map<string, CborValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    const clientData = clientDataJSON(
      knobs.type ?? 'webauthn.create',
      knobs.challenge ?? options.challenge,
      knobs.origin ?? origin,
    );

    if (existing === undefined) this.store(credential);

    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: base64url(clientData),
        attestationObject: base64url(attestationObject),
        transports: ['internal'],
        // What getPublicKeyAlgorithm(), getPublicKey() (SPKI DER) and getAuthenticatorData() give toJSON().
        publicKeyAlgorithm: COSE_ALG_ES256,
        publicKey: base64url(credential.publicKey.export({ format: 'der', type: 'spki' })),
        authenticatorData: base64url(authData),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** `navigator.credentials.get({publicKey})` followed by `credential.toJSON()`, at a page of `origin`. */
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
    knobs: GetKnobs = {},
  ): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(origin).hostname;
    checkRpIdForOrigin(rpId, origin);
    const credential = this.pick(options, rpId, knobs.credentialId);

    // A synced passkey never counts; any other credential counts each assertion, unless told what to say.
    if (knobs.counter !== undefined) credential.counter = knobs.counter;
    else if (!credential.synced) credential.counter += 1;

    let flags = this.userFlags(knobs);
    if (credential.synced) flags |= FLAG_BACKUP_ELIGIBLE | FLAG_BACKED_UP;
    const authData = authenticatorData({ rpId: knobs.rpId ?? rpId, flags, counter: credential.counter });
    const clientData = clientDataJSON(
      knobs.type ?? 'webauthn.get',
      knobs.challenge ?? options.challenge,
      knobs.origin ?? origin,
    );
    // ECDSA over authenticatorData || SHA-256(clientDataJSON); node signs in DER, the encoding WebAuthn uses.
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), credential.privateKey);
    if (knobs.tamperSignature) signature[signature.length - 1] ^= 0x01;

    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: base64url(clientData),
        authenticatorData: base64url(authData),
        signature: base64url(signature),
        userHandle: knobs.userHandle ?? credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** UP and UV as the knobs say; an honest authenticator asked for user verification sets both. */
  private userFlags(knobs: CeremonyKnobs): number {
    let flags = 0;
    if (knobs.userPresent !== false) flags |= FLAG_USER_PRESENT;
    if (knobs.userVerified !== false) flags |= FLAG_USER_VERIFIED;
    return flags;
  }

  /** A fresh key pair and credential id for the account the options name. */
  private newCredential(
    options: PublicKeyCredentialCreationOptionsJSON,
    rpId: string,
    knobs: CreateKnobs,
  ): SoftCredential {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // Platform authenticators use 16 to 32 random bytes; vary the length so a server cannot assume one.
    const rawId = randomBytes(randomInt(16, 33));
    return {
      id: base64url(rawId),
      rpId,
      userHandle: options.user.id,
      userName: options.user.name,
      privateKey,
      publicKey,
      counter: knobs.counter ?? 0,
      synced: knobs.synced ?? false,
    };
  }

  /** A resident credential for the same account on the same RP replaces the old one (WebAuthn §6.3.2 step 7). */
  private store(credential: SoftCredential): void {
    const replaced = this.credentials.findIndex(
      (held) => held.rpId === credential.rpId && held.userHandle === credential.userHandle,
    );
    if (replaced >= 0) this.credentials.splice(replaced, 1);
    this.credentials.push(credential);
  }

  /** An authenticator that already holds an excluded credential refuses to make another (InvalidStateError). */
  private refuseExcluded(options: PublicKeyCredentialCreationOptionsJSON, rpId: string): void {
    const excluded = new Set((options.excludeCredentials ?? []).map((descriptor) => descriptor.id));
    if (this.credentials.some((held) => held.rpId === rpId && excluded.has(held.id)))
      throw new WebAuthnError('InvalidStateError', 'this authenticator is already registered with the RP');
  }

  /**
   * The credential to sign with. With an `allowCredentials` list, the first one held; with none (discoverable
   * credentials), one of this RP's: the chosen one, or the only one (several without a choice is a test error).
   */
  private pick(
    options: PublicKeyCredentialRequestOptionsJSON,
    rpId: string,
    chosen?: string,
  ): SoftCredential {
    const allowed = options.allowCredentials ?? [];
    let candidates = this.credentials.filter((held) => held.rpId === rpId);
    if (allowed.length > 0) {
      const ids = new Set(allowed.map((descriptor) => descriptor.id));
      candidates = candidates.filter((held) => ids.has(held.id));
    }
    if (chosen !== undefined) candidates = candidates.filter((held) => held.id === chosen);
    if (candidates.length === 0)
      throw new WebAuthnError('NotAllowedError', `no credential for ${rpId} on this authenticator`);
    if (candidates.length > 1)
      throw new Error(`several credentials for ${rpId}: say which one with the credentialId knob`);
    return candidates[0];
  }
}
