// Docker image references, checked against the grammar Docker itself uses
// (github.com/distribution/reference, regexp.go):
//   reference := name [":" tag] ["@" digest]
//   name      := [domain "/"] path-component ["/" path-component]*
// so that what reaches the compose file is an image reference and nothing else (no "$" for
// Compose to substitute, no blanks, no YAML).

const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domain = `${host}(?::[0-9]+)?`;
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REFERENCE = new RegExp(`^(${name})(?::${tag})?(?:@${digest})?$`);
const TAG = new RegExp(`^${tag}$`);
const DIGEST = new RegExp(`^${digest}$`);
/** distribution/reference: NameTotalLengthMax. */
const MAX_NAME_LENGTH = 255;

export const IMAGE_REFERENCE_HINT =
  'write [registry[:port]/]name[:tag][@digest] with a lowercase name, e.g. redis:7.4-alpine or ghcr.io/org/redis@sha256:<64 hex digits>';

/** Why `ref` is not a Docker image reference, or undefined when it is one. */
export function imageReferenceProblem(ref: string): string | undefined {
  if (ref.includes('$')) return '"$" is not allowed: Compose would substitute a variable into the image name';
  if (/\s/.test(ref)) return 'blanks are not allowed';
  const match = REFERENCE.exec(ref);
  if (match) {
    return match[1]!.length > MAX_NAME_LENGTH ? `the name is longer than ${MAX_NAME_LENGTH} characters` : undefined;
  }
  // Say which part is wrong.
  const at = ref.indexOf('@');
  const beforeDigest = at === -1 ? ref : ref.slice(0, at);
  if (at !== -1 && !DIGEST.test(ref.slice(at + 1))) {
    return `"${ref.slice(at + 1)}" is not a digest (algorithm:hex, at least 32 hex digits)`;
  }
  const lastSlash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.indexOf(':', lastSlash + 1);
  const repository = colon === -1 ? beforeDigest : beforeDigest.slice(0, colon);
  if (colon !== -1 && !TAG.test(beforeDigest.slice(colon + 1))) {
    return `"${beforeDigest.slice(colon + 1)}" is not a tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`;
  }
  const path = repository.slice(repository.indexOf('/') + 1);
  if (/[A-Z]/.test(path)) return 'the repository name must be lowercase';
  return `"${repository}" is not a repository name (lowercase letters and digits, separated by ".", "_", "__", "-" or "/")`;
}
