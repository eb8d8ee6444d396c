import type { Actor, Role } from './values';

export const isAdmin = (actor: Actor): boolean => actor.roles.includes('ADMIN');

/** Role-level permission: ADMIN may run everything, others need one of `roles`. */
export const allow =
  (...roles: Role[]) =>
  (actor: Actor): boolean =>
    isAdmin(actor) || roles.some((role) => actor.roles.includes(role));
