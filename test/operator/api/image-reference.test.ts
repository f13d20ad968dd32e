import { describe, expect, it } from "vitest";
import { IMAGE_REFERENCE_MESSAGE, imageReference } from "../../../operator/api/image-reference.ts";

const accepts = (image: string) => imageReference.safeParse(image).success;

describe("imageReference", () => {
  // Cases from github.com/distribution/reference's reference_test.go and regexp_test.go.
  it.each([
    "busybox",
    "test_com",
    "test.com:tag",
    "test.com:5000",
    "test.com/repo:tag",
    "test:5000/repo",
    "test:5000/repo:tag",
    "test:5000/repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "test:5000/repo:tag@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
    "b.gcr.io/test.example.com/my-app:test.example.com",
    "xn--n3h.com/myimage:xn--n3h.com",
    "foo_bar.com:8080",
    "[2001:db8::1]:5000/repo:tag",
    "localhost:5000/a__b/c--d/e.f:TAG_1.0",
    `a/${"b".repeat(200)}:${"t".repeat(128)}`,
  ])("accepts %s", (image) => {
    expect(accepts(image)).toBe(true);
  });

  it.each([
    "not a valid ref!!",
    "",
    ":justtag",
    "@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffg",
    "repo@sha256:fff",
    `a:${"t".repeat(129)}`,
    "aa/asdf$$^/aa",
    "registry/Uppercase:tag",
    "test.com/Repo",
    "-busybox",
    "busybox-",
    "foo..bar",
    "a/b:",
    "a/b:-tag",
    "ghcr.io/org/name:tag ",
    "https://ghcr.io/org/name",
  ])("refuses %j", (image) => {
    const result = imageReference.safeParse(image);
    expect(result.success).toBe(false);
    if (image !== "") expect(result.error?.issues[0]?.message).toBe(IMAGE_REFERENCE_MESSAGE);
  });
});
