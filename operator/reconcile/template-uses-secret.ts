import type { Deployment } from "../kube/objects.ts";

interface TemplateShape {
  spec?: {
    containers?: Array<{
      env?: Array<{ valueFrom?: { secretKeyRef?: { name?: string } } }>;
      envFrom?: Array<{ secretRef?: { name?: string } }>;
    }>;
  };
}

/** Whether the Deployment's pods read the Secret `name` (an env secretKeyRef or an envFrom secretRef). */
export function templateUsesSecret(deployment: Deployment, name: string): boolean {
  const template = deployment.spec?.template as TemplateShape | undefined;
  return (template?.spec?.containers ?? []).some(
    (container) =>
      (container.env ?? []).some((variable) => variable.valueFrom?.secretKeyRef?.name === name) ||
      (container.envFrom ?? []).some((source) => source.secretRef?.name === name),
  );
}
