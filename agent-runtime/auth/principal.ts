/** Who is calling: a stable, non-secret id (for rate-limit buckets and logs) and their roles. */
export type Principal = { id: string; roles: string[] };
