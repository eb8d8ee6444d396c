import type Database from 'better-sqlite3';

type Outcome<R> = { ok: true; result: R } | { ok: false; error: unknown };

interface Pending<I, R> {
  input: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/** SQLite rolled the whole group back itself (disk full, I/O error): nothing of it is written. */
class GroupAborted extends Error {}

/**
 * Group commit on a better-sqlite3 connection: writes asked for in the same turn of the event
 * loop (concurrent requests) go into one transaction, each in a savepoint of its own, so each
 * one's checks see the writes before it and its failure undoes only its own rows. Every write
 * resolves once the transaction has committed (as durable as one committed alone); if the group
 * cannot commit, each write is tried again in a transaction of its own. Used by the embedded
 * event store (appends) and key store (new keys).
 */
export class GroupCommit<I, R> {
  private pending: Array<Pending<I, R>> = [];
  private scheduled = false;
  private readonly alone: Database.Transaction<(input: I) => R>;
  private readonly together: Database.Transaction<(group: I[]) => Array<Outcome<R>>>;

  constructor(
    private readonly db: Database.Database,
    write: (input: I) => R,
    /** Told after each group, with what was written (for change signals). */
    private readonly written?: (results: R[]) => void,
  ) {
    this.alone = db.transaction(write);
    this.together = db.transaction((group: I[]) =>
      group.map((input): Outcome<R> => {
        try {
          // Nested in the group's transaction: a savepoint, rolled back alone on a throw.
          return { ok: true, result: this.alone(input) };
        } catch (error) {
          if (!db.inTransaction)
            throw new GroupAborted('the group was rolled back', { cause: error });
          return { ok: false, error };
        }
      }),
    );
  }

  /** Written with the others of this turn; resolves once committed. */
  write(input: I): Promise<R> {
    return new Promise((resolve, reject) => {
      if (!this.db.open) {
        reject(new TypeError('The database connection is not open'));
        return;
      }
      this.pending.push({ input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: requests that arrived together commit together.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Written now, alone, in a transaction of its own. */
  writeNow(input: I): R {
    return this.alone.immediate(input);
  }

  /** Writes the waiting ones now: one transaction for all, or one each if that one fails. */
  flush(): void {
    this.scheduled = false;
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    const inputs = group.map((p) => p.input);
    let outcomes: Array<Outcome<R>> | undefined;
    if (group.length > 1) {
      try {
        outcomes = this.together.immediate(inputs);
      } catch {
        // Nothing of the group was committed (BEGIN, COMMIT or SQLite's own rollback failed).
        outcomes = undefined;
      }
    }
    outcomes ??= inputs.map((input): Outcome<R> => {
      try {
        return { ok: true, result: this.alone.immediate(input) };
      } catch (error) {
        return { ok: false, error };
      }
    });
    this.written?.(outcomes.flatMap((o) => (o.ok ? [o.result] : [])));
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) group[i]!.resolve(outcome.result);
      else group[i]!.reject(outcome.error);
    });
  }
}
