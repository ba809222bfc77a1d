/** Thrown by the `default` branch of an exhaustive `switch`: the compiler proves it never runs. */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
  }
}
