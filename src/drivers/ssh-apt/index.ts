/** The HostAgent port over SSH (ssh2, pinned host keys) and apt/dpkg. */
export { createSshAptHostAgent, type SshAptHost, type SshAptOptions } from './agent.js';
export { shellCommand, shellQuote } from './quote.js';
export { fingerprintSha256 } from './host-key.js';
