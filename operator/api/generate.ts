/**
 * `npm run generate`: writes the CRD and the API reference from the zod schema. A test runs the
 * same functions and fails when the checked-in files differ.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { renderApiReference } from "./api-reference.ts";
import { buildCrd } from "./crd.ts";
import { renderCrdYaml } from "./crd-yaml.ts";

export const CRD_FILE = "crds/agentry.dev_agentdeployments.yaml";
/** The Helm chart installs the same CRD from its own crds/ folder (Helm reads no file outside the chart). */
export const CHART_CRD_FILE = "charts/agentry/crds/agentry.dev_agentdeployments.yaml";
export const API_REFERENCE_FILE = "docs/api.md";

export function generatedFiles(): Record<string, string> {
  const crd = buildCrd();
  const crdYaml = renderCrdYaml(crd);
  return { [CRD_FILE]: crdYaml, [CHART_CRD_FILE]: crdYaml, [API_REFERENCE_FILE]: renderApiReference(crd) };
}

if (import.meta.main) {
  const root = join(import.meta.dirname, "..", "..");
  for (const [file, content] of Object.entries(generatedFiles())) {
    const target = join(root, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    console.log(`wrote ${file}`);
  }
}
