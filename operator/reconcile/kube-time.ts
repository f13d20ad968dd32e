/**
 * Kubernetes stores metav1.Time with second precision; writing milliseconds would make every
 * read-back differ from what was written, and the operator would write the status forever.
 */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
