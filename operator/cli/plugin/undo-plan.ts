import type { AgentObject } from "./agent-snapshot.ts";
import { PluginError } from "./plugin-error.ts";

export interface UndoPlan {
  /** JSON merge patch, conditional on the agent's resourceVersion. */
  patch: { metadata: { resourceVersion?: string }; spec: { image?: string; agent?: { model: string } } };
  /** What changes, one line per field: "spec.agent.model: gpt-4o -> gpt-4o-mini". */
  changes: string[];
  /** The history entry gone back to, for the message. */
  target: { position: number; revision: string; outcome: string; startedAt: string };
}

/**
 * `undo --to-revision N`: the spec change that asks again for the image and model that
 * status.history[N] records (N counts from the latest rollout, 0; 1 is the one before). The
 * operator keeps no old pod templates, and history records only image and model: a system
 * prompt, tools, settings or Secret/ConfigMap content that differed are not restored, and then the
 * spec yields a new revision rather than the old one.
 */
export function planUndo(agent: AgentObject, position: number): UndoPlan {
  const name = agent.metadata.name;
  const history = agent.status?.history ?? [];
  const entry = history[position];
  const latest = history[0];
  if (!entry || !latest)
    throw new PluginError(
      history.length <= 1
        ? `${name} has no earlier revision in status.history to go back to`
        : `status.history of ${name} has entries 0 to ${history.length - 1}; there is no entry ${position}`,
    );
  // Without spec.image the operator's default image runs; history records it as resolved.
  const currentImage = agent.spec?.image ?? latest.image;
  const currentModel = agent.spec?.agent?.model ?? latest.model;
  const patch: UndoPlan["patch"] = {
    metadata: { resourceVersion: agent.metadata.resourceVersion },
    spec: {},
  };
  const changes: string[] = [];
  if (entry.image !== currentImage) {
    patch.spec.image = entry.image;
    changes.push(`spec.image: ${agent.spec?.image ?? `(unset: ${latest.image})`} -> ${entry.image}`);
  }
  if (entry.model !== currentModel) {
    patch.spec.agent = { model: entry.model };
    changes.push(`spec.agent.model: ${currentModel} -> ${entry.model}`);
  }
  if (changes.length === 0)
    throw new PluginError(
      `history entry ${position} (revision ${entry.revision}) has the image and model the spec asks for already ` +
        `(image ${entry.image}, model ${entry.model}); whatever else differed between the revisions ` +
        "(system prompt, tools, other settings, Secret or ConfigMap content) is not recorded in status.history, " +
        "so undo cannot restore it; nothing was changed",
    );
  return {
    patch,
    changes,
    target: { position, revision: entry.revision, outcome: entry.outcome, startedAt: entry.startedAt },
  };
}
