import type { Grant } from '../mapping/index.js';

/** Temporary AWS credentials, as STS returned them. Secret: never logged, never in a URL. */
export interface AwsSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleArn?: string;
}

/** Who signed in, as the hand-back needs it: no claims, nothing mutable used for decisions. */
export interface SignedInPerson {
  idp: string;
  protocol: 'saml' | 'oidc';
  /** Opaque, stable, non-PII handle of the upstream subject (what minted documents carry). */
  subjectRef: string;
  /** Shown on pages only ("signed in as …"), e.g. the email claim. */
  displayName?: string;
  /** Epoch seconds: when the person authenticated upstream (what minted documents carry). */
  authTime?: number;
  /** How they authenticated upstream (SAML AuthnContextClassRef, OIDC amr/acr). */
  authMethod?: string;
}

/** Assumes one granted role for one person: mint + STS, per protocol (SAML or web identity). */
export type RoleAssumption = (grant: Grant, person: SignedInPerson) => Promise<AwsSession>;

/** Where the person goes after choosing: the AWS console or the access keys view. */
export type HandbackTarget = 'console' | 'keys';
