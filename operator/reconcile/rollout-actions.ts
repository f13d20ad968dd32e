import { ANNOTATIONS } from "../api/constants.ts";

/** What a user asked for through the agentry.dev/* action annotations (plain kubectl, Argo CD actions). */
export interface RolloutActions {
  /** Finish the current step (a pause, an analysis, a weight waiting on pods) and go on. */
  promote: boolean;
  /** Skip every remaining step and analysis: the new revision takes all traffic. */
  promoteFull: boolean;
  /** All traffic back to the stable revision; the new revision is not retried until retry or a new spec. */
  abort: boolean;
  /** Start an aborted rollout again from its first step. */
  retry: boolean;
  /** Replace every pod of the live revisions, one at a time. */
  restart: boolean;
}

export const NO_ACTIONS: RolloutActions = {
  promote: false,
  promoteFull: false,
  abort: false,
  retry: false,
  restart: false,
};

/**
 * The actions present on an AgentDeployment. Any value counts (`kubectl annotate agd x
 * agentry.dev/promote=`); the operator removes each annotation once it has acted on it, so one
 * annotation is one action however often it is observed before the removal lands.
 */
export function readRolloutActions(annotations: Record<string, string> | undefined): RolloutActions {
  const has = (key: string) => annotations !== undefined && Object.hasOwn(annotations, key);
  return {
    promote: has(ANNOTATIONS.promote),
    promoteFull: has(ANNOTATIONS.promoteFull),
    abort: has(ANNOTATIONS.abort),
    retry: has(ANNOTATIONS.retry),
    restart: has(ANNOTATIONS.restart),
  };
}

/** The action annotations present, to remove once acted on. */
export function actionAnnotationKeys(annotations: Record<string, string> | undefined): string[] {
  return Object.values(ANNOTATIONS).filter(
    (key) => annotations !== undefined && Object.hasOwn(annotations, key),
  );
}
