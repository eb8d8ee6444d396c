import { createSecretKey } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AuthChecker } from 'type-graphql';
import { ROLES, type Actor, type Role } from '../domain/shared/values';
import { forbidden, unauthenticated } from './errors';
import type { GraphQLContext } from './context';

/** The actor of an open (no JWT_SECRET) development server. */
export const DEV_ACTOR: Actor = { id: 'dev-admin', roles: ['ADMIN'] };

/** What a role that may not read personal data sees instead. */
export const MASK = '***';

/** Roles that may read personal data (API.md: MARKETING, SALES and ADMIN). */
const PII_ROLES: ReadonlySet<Role> = new Set(['MARKETING', 'SALES', 'ADMIN']);
export const mayReadPii = (actor: Actor | null): boolean =>
  !!actor && actor.roles.some((r) => PII_ROLES.has(r));

/** Every role reads reports and leads. */
export const READERS: Role[] = [...ROLES];
/** Event-store reads (history, verification, audit trail). */
export const AUDITORS: Role[] = ['AUDITOR', 'ADMIN'];

export interface Session {
  actor: Actor;
  /** When the token expires (ms since the epoch); null for the open development actor. */
  expiresAt: number | null;
}

export interface Authenticator {
  /** The session of an `Authorization` header; null when there is none. Throws UNAUTHENTICATED. */
  authenticate(header: string | undefined | null): Promise<Session | null>;
  /** True when no secret is configured: every request acts as `DEV_ACTOR`. */
  readonly open: boolean;
}

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

/** Verified tokens remembered (oldest dropped first). */
const VERIFIED_TOKENS = 10_000;

const describe = (error: unknown): string => {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'the token signature is invalid';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token must be signed with HS256';
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `the token is invalid: ${error.message}`;
  return 'the token is malformed';
};

/** HS256 bearer tokens with `sub` (the actor id) and `roles` (API.md's role names). */
export const createAuthenticator = (secret: string | undefined): Authenticator => {
  if (!secret) {
    return {
      open: true,
      authenticate: () => Promise.resolve({ actor: DEV_ACTOR, expiresAt: null }),
    };
  }
  // A KeyObject once: given bytes, jose would build one on every verification.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  /**
   * Sessions of tokens verified before, by the token's exact text (signature included): a
   * client sends the same token with every request. Only a still valid token is answered from
   * here (its expiry is checked as jose checks it); anything else goes through jose again.
   */
  const verified = new Map<string, Session>();
  return {
    open: false,
    async authenticate(header) {
      if (!header) return null;
      const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
      if (!match) throw unauthenticated('the Authorization header must be "Bearer <token>"');
      const token = match[1]!;
      const known = verified.get(token);
      if (known) {
        if (known.expiresAt! > Math.floor(Date.now() / 1000) * 1000) return known;
        verified.delete(token);
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        throw unauthenticated(describe(error));
      }
      const { sub } = payload;
      const roles: unknown = payload.roles;
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
        throw unauthenticated('the token needs a "sub" claim (the actor id)');
      }
      if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string' && ROLE_SET.has(r))) {
        throw unauthenticated(
          `the token's "roles" claim must list roles among ${ROLES.join(', ')}`,
        );
      }
      const session: Session = Object.freeze({
        actor: Object.freeze({ id: sub, roles: Object.freeze([...new Set(roles as Role[])]) }),
        expiresAt: payload.exp! * 1000,
      }) as Session;
      // A token with a `nbf` or an `exp` that is no integer is verified each time, like before.
      if (Number.isInteger(payload.exp) && payload.nbf === undefined) {
        if (verified.size >= VERIFIED_TOKENS) verified.delete(verified.keys().next().value!);
        verified.set(token, session);
      }
      return session;
    },
  };
};

/**
 * type-graphql's `@Authorized(roles)`: no actor is UNAUTHENTICATED; an actor without one of the
 * roles is FORBIDDEN (an empty list admits any authenticated actor).
 */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context, info }, roles) => {
  const { actor } = context;
  if (!actor) throw unauthenticated();
  if (roles.length === 0 || actor.roles.some((r) => roles.includes(r))) return true;
  throw forbidden(`${actor.roles.join(', ') || 'no role'} may not read ${info.fieldName}`);
};
