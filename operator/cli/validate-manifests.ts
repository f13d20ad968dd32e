import { isMap, isNode, LineCounter, parseAllDocuments } from "yaml";
import { API_GROUP, API_GROUP_VERSION, KIND } from "../api/constants.ts";
import { formatIssuePath, type IssuePath, parseAgentDeployment } from "../api/parse-agent-deployment.ts";
import { rolloutNotes } from "./rollout-notes.ts";

export interface ManifestError {
  source: string;
  line: number;
  path: string;
  message: string;
}

export interface ManifestReport {
  errors: ManifestError[];
  /** One line per document: what it was and whether it passed. */
  summary: string[];
}

/**
 * Validates every document of a (multi-document) YAML text offline with the AgentDeployment
 * schema, and points each error at its line. Documents of other kinds are listed as not checked,
 * never dropped silently.
 */
export function validateManifests(text: string, source: string): ManifestReport {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const report: ManifestReport = { errors: [], summary: [] };
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  if (!Array.isArray(documents)) return report; // an empty stream

  documents.forEach((document, index) => {
    const label = `${source} document ${index + 1}`;
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        report.errors.push({ source, line: lineOf(error.pos[0]), path: "<yaml>", message: error.message });
      }
      report.summary.push(`${label}: invalid YAML`);
      return;
    }
    const manifest: unknown = document.toJS();
    if (manifest === null || manifest === undefined) return; // an empty document between "---"
    const identity = identify(manifest);
    if (identity.kind !== "agent") {
      if (identity.kind === "foreign") {
        report.summary.push(`${label}: ${identity.description} is not an AgentDeployment; not checked`);
        return;
      }
      report.errors.push({
        source,
        line: lineOf(document.contents?.range?.[0] ?? 0),
        path: identity.path,
        message: identity.message,
      });
      report.summary.push(`${label}: invalid`);
      return;
    }
    const result = parseAgentDeployment(manifest);
    if (result.ok) {
      const notes = rolloutNotes(result.value);
      report.summary.push(
        `${label}: AgentDeployment ${result.value.metadata.name} is valid${notes.length > 0 ? `; ${notes.join("; ")}` : ""}`,
      );
      return;
    }
    for (const issue of result.issues) {
      report.errors.push({
        source,
        line: lineOf(offsetOf(document, issue.path)),
        path: formatIssuePath(issue.path),
        message: issue.message,
      });
    }
    report.summary.push(
      `${label}: AgentDeployment ${identity.name ?? "(no name)"} has ${result.issues.length} error(s)`,
    );
  });
  return report;
}

export function formatManifestError(error: ManifestError): string {
  return `${error.source}:${error.line}: ${error.path}: ${error.message}`;
}

type Identity =
  | { kind: "agent"; name: string | undefined }
  | { kind: "foreign"; description: string }
  | { kind: "invalid"; path: string; message: string };

function identify(manifest: unknown): Identity {
  if (typeof manifest !== "object" || Array.isArray(manifest) || manifest === null) {
    return {
      kind: "invalid",
      path: "<document>",
      message: "a manifest must be a mapping with apiVersion and kind",
    };
  }
  const { apiVersion, kind, metadata } = manifest as Record<string, unknown>;
  const name = (metadata as { name?: unknown } | undefined)?.name;
  const group = typeof apiVersion === "string" ? apiVersion.split("/")[0] : undefined;
  if (group === API_GROUP || kind === KIND) {
    if (apiVersion !== API_GROUP_VERSION) {
      return {
        kind: "invalid",
        path: "apiVersion",
        message: `expected ${API_GROUP_VERSION}, got ${JSON.stringify(apiVersion)}`,
      };
    }
    if (kind !== KIND)
      return { kind: "invalid", path: "kind", message: `expected ${KIND}, got ${JSON.stringify(kind)}` };
    return { kind: "agent", name: typeof name === "string" ? name : undefined };
  }
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return { kind: "invalid", path: "<document>", message: "a manifest needs apiVersion and kind" };
  }
  return {
    kind: "foreign",
    description: `${apiVersion} ${kind}${typeof name === "string" ? ` ${name}` : ""}`,
  };
}

/** The deepest node of the path that exists in the document (a missing field points at its parent). */
function offsetOf(document: ReturnType<typeof parseAllDocuments>[number], path: IssuePath): number {
  let node: unknown = document.contents;
  let offset = document.contents?.range?.[0] ?? 0;
  for (const segment of path) {
    if (!isNode(node) || !("get" in node)) break;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isNode(item.key) && "value" in item.key && item.key.value === segment,
      );
      if (!pair) break;
      if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
      continue;
    }
    const child = (node as { get: (key: unknown, keepScalar: boolean) => unknown }).get(segment, true);
    if (!isNode(child)) break;
    if (child.range) offset = child.range[0];
    node = child;
  }
  return offset;
}
