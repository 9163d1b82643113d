// Who logs in: a Redis ACL user and its password, and with TLS the CA to trust. Shared
// vocabulary of the files that read a deployment's secrets, the probes that use them and the
// commands that pass them on.

/**
 * What a client of a TLS deployment trusts: the deployment's private CA (PEM text), and the
 * file it is kept in (<out>/tls/ca.crt, which printed snippets name). The certificates carry
 * 127.0.0.1 and the service names, so Node's default host check passes on the published ports.
 */
export interface TlsTrust {
  ca: string;
  caFile: string;
  /**
   * On swarm: the service names the deployment's certificates carry. Host-side clients dial a
   * node's address, which no certificate names (node addresses are not known when they are
   * issued), and check instead that the certificate names one of these services: the CA is the
   * deployment's own and signs nothing else, so this is the service-name check, not a weaker one.
   */
  serverNames?: string[];
}

/**
 * How a client logs in: a Redis ACL user and its password (both undefined when the deployment
 * has no auth), and with TLS the CA to trust. The CA travels with the login so that every
 * connection built from a deployment's credentials speaks TLS when the deployment does.
 */
export interface Credentials {
  username?: string;
  password?: string;
  /**
   * HTTP logins only: the password before a rotation switched it, tried when the first answers
   * 401 (a service still on the old one: HAProxy's stats login has one password, and on swarm it
   * takes the new one only when the rollout re-creates it).
   */
  previousPassword?: string;
  tls?: TlsTrust;
}

export const NO_AUTH: Credentials = {};
