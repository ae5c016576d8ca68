import type { SignedInPerson } from '../handback/index.js';
import { hashSubject } from '../log.js';
import type { Identity } from '../mapping/index.js';
import type { SessionIdentity } from './record.js';

/**
 * The identity a session remembers, from a verified upstream sign-in: the IdP, the immutable
 * subject and its opaque reference, the normalised claims, when and how the person authenticated,
 * and a display name for pages (the email claim when single-valued; never used for decisions).
 */
export const sessionIdentityOf = (
  identity: Identity & { authMethod?: string },
  protocol: 'saml' | 'oidc',
): SessionIdentity => {
  const email = identity.claims.email?.length === 1 ? identity.claims.email[0] : undefined;
  return {
    idp: identity.idp,
    protocol,
    issuer: identity.issuer,
    subject: identity.subject,
    subjectRef: hashSubject(`${identity.idp}:${identity.subject}`),
    claims: identity.claims as Record<string, string[]>,
    ...(identity.authTime !== undefined ? { authTime: identity.authTime } : {}),
    ...(identity.authMethod !== undefined ? { authMethod: identity.authMethod } : {}),
    ...(email !== undefined && email.length <= 256 ? { displayName: email } : {}),
    ...(identity.groupsOverage?.length ? { groupsOverage: [...identity.groupsOverage] } : {}),
  };
};

/** Who is asking for AWS access, as the role assumption needs it (no claims). */
export const personOf = (s: SessionIdentity): SignedInPerson => ({
  idp: s.idp,
  protocol: s.protocol,
  subjectRef: s.subjectRef,
  ...(s.displayName !== undefined ? { displayName: s.displayName } : {}),
  ...(s.authTime !== undefined ? { authTime: s.authTime } : {}),
  ...(s.authMethod !== undefined ? { authMethod: s.authMethod } : {}),
});

/** The browser's session cookie (portal): `__Host-fedgate-session`. */
export const SESSION_COOKIE = 'session';
