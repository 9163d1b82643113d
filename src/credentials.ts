// Who logs in: a Redis ACL user and its password. Shared vocabulary of the files that read a
// deployment's secrets, the probes that use them and the commands that pass them on.

/** A Redis ACL user and its password; both undefined when the deployment has no auth. */
export interface Credentials {
  username?: string;
  password?: string;
}

export const NO_AUTH: Credentials = {};
