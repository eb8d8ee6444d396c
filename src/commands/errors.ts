import type { Actor } from '../domain/shared/values';

/** The actor's roles do not allow this command (API.md's role table). */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
  constructor(
    readonly command: string,
    actor: Actor,
  ) {
    super(`${actor.roles.join(', ') || 'no role'} may not run ${command}`);
  }
}

export class UnknownCommandError extends Error {
  override readonly name = 'UnknownCommandError';
  constructor(readonly command: string) {
    super(`unknown command ${command}`);
  }
}
