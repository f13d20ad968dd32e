import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { parseOperatorConfig } from "../../config.ts";
import { PluginError } from "./plugin-error.ts";
import type { PluginIo } from "./plugin-io.ts";
import { renderManifests } from "./render-manifests.ts";

export interface RenderFlags {
  files: string[];
  namespace: string | undefined;
  /** The operator's AGENTRY_RUNTIME_IMAGE: the image of agents without spec.image. */
  defaultImage: string | undefined;
  /** The operator's AGENTRY_CLUSTER_DOMAIN. */
  clusterDomain: string | undefined;
  /** Referenced Secrets and ConfigMaps missing from the files get placeholder content. */
  placeholderData: boolean;
}

/**
 * render FILE...: prints, as YAML documents, the objects the operator would create for the
 * AgentDeployments in the files, without a cluster (as `helm template` does).
 */
export function renderCommand(flags: RenderFlags, io: PluginIo): number {
  const sources = flags.files.map((file) => {
    try {
      return {
        name: file === "-" ? "<stdin>" : file,
        text: file === "-" ? io.readStdin() : io.readFile(file),
      };
    } catch (error) {
      throw new PluginError(`${file}: cannot read: ${(error as Error).message}`);
    }
  });
  let operatorConfig: ReturnType<typeof parseOperatorConfig>;
  try {
    // The operator's own defaults and checks for the two settings that shape its objects.
    operatorConfig = parseOperatorConfig({
      AGENTRY_RUNTIME_IMAGE: flags.defaultImage,
      AGENTRY_CLUSTER_DOMAIN: flags.clusterDomain,
    });
  } catch (error) {
    throw new PluginError((error as Error).message, 2);
  }
  const result = renderManifests(sources, {
    namespace: flags.namespace ?? "default",
    config: {
      defaultImage: operatorConfig.defaultImage,
      clusterDomain: operatorConfig.clusterDomain,
    },
    now: io.now(),
    generateKey: () => randomBytes(24).toString("base64url"),
    placeholderData: flags.placeholderData,
  });
  for (const warning of result.warnings) io.stderr(`warning: ${warning}\n`);
  for (const error of result.errors) io.stderr(`${error}\n`);
  const documents = result.objects.map(
    ({ source, agent, object }) =>
      `---\n# Source: ${source}, AgentDeployment ${agent} -> ${object.kind} ${object.metadata.name}\n${stringify(object)}`,
  );
  io.stdout(documents.join(""));
  return result.errors.length > 0 ? 1 : 0;
}
