/** A business rule refused the command. `rule` is a stable code clients may switch on. */
export class DomainRuleError extends Error {
  override readonly name = 'DomainRuleError';
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FieldError {
  /** Dotted path of the invalid field, e.g. `data.amount`. */
  path: string;
  message: string;
}

/** The command's input failed schema validation; lists every invalid field. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(readonly fields: FieldError[]) {
    super(`Invalid input: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`);
  }
}

/** The referenced aggregate does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
  }
}

export const reject = (rule: string, message: string): never => {
  throw new DomainRuleError(rule, message);
};
