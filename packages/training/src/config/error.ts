/** A configuration error: names the file, flag or config field at fault, and what to give instead. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
