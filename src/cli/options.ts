// Option parsers for commander that fail with the flag's name and the bad value.
import { InvalidArgumentError } from 'commander';

export function intOption(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got '${value}'`);
    if (n < min) throw new InvalidArgumentError(`expected an integer >= ${min}, got ${n}`);
    if (n > max) throw new InvalidArgumentError(`expected an integer <= ${max}, got ${n}`);
    return n;
  };
}

export function floatOption(min = -Infinity, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${value}'`);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number in [${min}, ${max}], got ${n}`);
    return n;
  };
}

export function choiceOption<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${value}'`);
    return value as T;
  };
}
