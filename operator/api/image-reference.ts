import { z } from "zod";
import { withRules } from "./cross-field-rule.ts";

// The reference grammar of the distribution spec, as github.com/distribution/reference spells it
// in regexp.go (v0.6.0), the parser the container runtimes use:
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ domain "/" ] path-component [ "/" path-component ]*
//   domain    := (domain-name | "[" IPv6 "]") [ ":" port ]
// Only `[[:xdigit:]]` is rewritten, as [0-9A-Fa-f], so that JavaScript and RE2 (the API server's
// CEL) read the same expression.
const alphanumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const ipv6Address = "\\[(?:[a-fA-F0-9:]+)\\]";
const domainAndPort = `(?:${domainName}|${ipv6Address})(?::[0-9]+)?`;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}";

export const IMAGE_REFERENCE_PATTERN = `^(?:${domainAndPort}/)?${remoteName}(?::${tag})?(?:@${digest})?$`;
const IMAGE_REFERENCE = new RegExp(IMAGE_REFERENCE_PATTERN);

export const IMAGE_REFERENCE_MESSAGE =
  "must be an image reference such as ghcr.io/org/name:tag or name@sha256:<hex> " +
  "(lowercase repository path; tag of letters, digits, '_', '.', '-')";

/** A container image reference, checked by the API server and by `agentry validate` alike. */
export const imageReference = withRules(z.string().min(1).max(1024), [
  {
    // A raw string: CEL would read `\w` in a quoted string as an invalid escape.
    cel: `self.matches(r'${IMAGE_REFERENCE_PATTERN}')`,
    message: IMAGE_REFERENCE_MESSAGE,
    holds: (image) => IMAGE_REFERENCE.test(image),
  },
]);
