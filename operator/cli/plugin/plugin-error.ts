/** A failure the plugin explains in one message and an exit code (1: failed, 2: bad usage). */
export class PluginError extends Error {
  override readonly name = "PluginError";
  readonly code = "PLUGIN_FAILED";
  readonly exitCode: number;
  /** Print the usage after the message. */
  readonly usage: boolean;

  constructor(message: string, exitCode = 1, options: ErrorOptions & { usage?: boolean } = {}) {
    super(message, options);
    this.name = "PluginError";
    this.exitCode = exitCode;
    this.usage = options.usage ?? false;
  }
}
