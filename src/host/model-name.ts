// The one rule for model names and versions, wherever they come from: a URL, a repository API call, a
// directory of the Triton layout, or a model file's own metadata (checked at load, so that every served
// model can be named in a URL and unloaded). No path separators, no leading dot or dash, nothing to escape.

/** A model name a URL or a directory may carry: no path separators, no leading dot, at most 128 characters. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** A version in a URL: at most 64 characters of the same kind. */
export const MODEL_VERSION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** MODEL_NAME and MODEL_VERSION in words, for errors. */
export const NAME_RULE = "letters, digits, '_', '.', '-', starting with a letter or a digit";

/** The value as an error shows it: quoted and escaped (a newline or a quote stays visible), cut at 64 characters. */
function shown(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}

/** Why a model's name or version cannot be served, or null when both follow the rule. */
export function modelNameProblem(name: string, version: string): string | null {
  if (!MODEL_NAME.test(name)) return `model name ${shown(name)} is not a model name (${NAME_RULE}; at most 128)`;
  if (!MODEL_VERSION.test(version))
    return `model '${name}' has version ${shown(version)}, not a model version (${NAME_RULE}; at most 64)`;
  return null;
}
