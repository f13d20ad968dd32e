/** The project's two images: their Dockerfile, entry point, health endpoint and port variable. */
export const AGENTRY_IMAGES = [
  {
    dockerfile: "Dockerfile.operator",
    entry: "dist/operator/main.js",
    health: "/healthz",
    port: "AGENTRY_HTTP_PORT",
  },
  {
    dockerfile: "Dockerfile.runtime",
    entry: "dist/agent-runtime/server.js",
    health: "/livez",
    port: "AGENTRY_PORT",
  },
] as const;
