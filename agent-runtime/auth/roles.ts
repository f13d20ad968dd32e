/** Roles from a JWT payload and the per-route role gate. */

/**
 * Reads `claim` as a dotted path (Keycloak's "realm_access.roles" works). Accepts an array of
 * strings or an OAuth-style space-separated string ("scope").
 */
export function rolesFromClaims(payload: Record<string, unknown>, claim: string): string[] {
  let value: unknown = payload;
  for (const part of claim.split(".")) {
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (typeof value === "string") return value.split(/\s+/).filter((role) => role.length > 0);
  if (Array.isArray(value)) return value.filter((role): role is string => typeof role === "string");
  return [];
}

/** A route with no configured roles is open to any authenticated caller. */
export function isRouteAllowed(
  routeRoles: Record<string, string[]>,
  route: string,
  roles: readonly string[],
): boolean {
  const required = routeRoles[route];
  if (!required || required.length === 0) return true;
  return required.some((role) => roles.includes(role));
}
