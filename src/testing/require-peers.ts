/**
 * The verifying stub checks signatures with @smithy/signature-v4 (never with this
 * package's own signer), an optional peer: imported first by the entry, so a project
 * without it gets ERR_MISSING_PEER_DEPENDENCY naming what to install, not a
 * MODULE_NOT_FOUND stack from inside the verifier.
 */
import { requirePeer } from '../peer.js';

export const VERIFIER_PEERS = ['@smithy/signature-v4', '@smithy/hash-node'] as const;

for (const name of VERIFIER_PEERS) requirePeer(name, 'aws-sigv4-connection/testing (the verifying stub)', VERIFIER_PEERS);
