/**
 * The `Signer` port: what fedgate signs with for AWS (SAML assertions, web identity JWTs). In AWS
 * it is a KMS asymmetric key; locally a generated key file. The private key never
 * passes through this interface: callers hand over bytes and get a signature back.
 */

/** A key fedgate publishes (IdP metadata certificates, JWKS), whether or not it signs yet. */
export interface PublishedKey {
  /** Stable key id: the JWT `kid` and the certificate's identity in metadata. */
  kid: string;
  /** SubjectPublicKeyInfo, DER. */
  publicKeySpki: Buffer;
  /** Self-signed X.509 certificate carrying the public key, PEM. */
  certificatePem: string;
}

/** The key that signs now. */
export interface Signer extends PublishedKey {
  /** RSASSA-PKCS1-v1_5 with SHA-256 over `data` (the signer hashes). */
  sign(data: Buffer): Promise<Buffer>;
}

/**
 * fedgate's signing keys: the active one and every published one. Rotation publishes the next
 * key (metadata and JWKS carry both) before it becomes active, and removes the old one after.
 */
export interface SigningKeys {
  /** The key that signs now. @throws temporarily_unavailable when the key service cannot answer. */
  active(): Promise<Signer>;
  /** Every key to publish, the active one first. */
  published(): Promise<readonly PublishedKey[]>;
}
