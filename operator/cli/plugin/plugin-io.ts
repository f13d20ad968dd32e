/** What the plugin's commands touch outside themselves, passed in so tests can drive them. */
export interface PluginIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stdout is a terminal: `status -w` redraws in place instead of printing each new view. */
  isTty: boolean;
  readFile: (path: string) => string;
  readStdin: () => string;
  now: () => Date;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM: a watch stops quietly. */
  signal: AbortSignal;
}
