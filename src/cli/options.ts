// Option parsers for commander that fail with the flag's name and the bad value, and the flags of options
// schemas (util/option-schema.ts: a task's or a data format's) declared and read on a command.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { choiceValue, intValue, numberValue, optionFlags } from '../util/option-schema.js';

/** A commander argument parser from a schema: its first complaint, which names the value. */
export function schemaOption<T>(schema: z.core.$ZodType<T>) {
  return (value: string): T => {
    const r = z.safeParse(schema, value);
    if (!r.success) throw new InvalidArgumentError(r.error.issues[0].message);
    return r.data;
  };
}

export const intOption = (min?: number, max?: number) => schemaOption(intValue(min, max));
export const floatOption = (min?: number, max?: number) => schemaOption(numberValue(min, max));
export const choiceOption = <const T extends readonly string[]>(choices: T) => schemaOption(choiceValue(choices));

/**
 * Declares the flags of an options schema's fields on a command, their help starting with `prefix`; a
 * value is checked at once and kept as given (the schema reads it again). A flag declared already is kept.
 */
export function addSchemaFlags(command: Command, schema: z.ZodObject, prefix: string): void {
  for (const field of Object.values(schema.shape)) {
    const f = optionFlags.get(field);
    if (!f || command.options.some((o) => o.flags === f.flag)) continue;
    const option = new Option(f.flag, `${prefix}: ${f.help}`);
    if (!option.isBoolean()) {
      const check = schemaOption(field);
      option.argParser((v: string) => {
        check(v);
        return v;
      });
      if (field instanceof z.ZodDefault) option.default(field.def.defaultValue);
    }
    command.addOption(option);
  }
}

/** The options of a schema given by the command's flags, by the schema's keys (defaults left to the schema). */
export function schemaFlagValues(command: Command, schema: z.ZodObject): Record<string, unknown> {
  const given = Object.keys(schema.shape).flatMap((key) => {
    const f = optionFlags.get(schema.shape[key]);
    const name = f && new Option(f.flag).attributeName();
    return name && command.getOptionValueSource(name) === 'cli' ? [[key, command.getOptionValue(name)]] : [];
  });
  return Object.fromEntries(given);
}
