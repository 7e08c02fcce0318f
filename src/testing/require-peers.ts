/**
 * The verifying stub checks signatures with @smithy/signature-v4 (never with this
 * package's own signer), an optional peer: imported first by the entry, so a project
 * without it gets ERR_MISSING_PEER_DEPENDENCY naming what to install, not a
 * MODULE_NOT_FOUND stack from inside the verifier.
 */
import { requirePeer } from '../peer.js';

export const VERIFIER_PEERS = ['@smithy/signature-v4', '@smithy/hash-node'] as const;

const NEEDED_BY = 'aws-sigv4-connection/testing (the verifying stub)';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- literal requires, for bundlers (see requirePeer)
requirePeer('@smithy/signature-v4', () => require('@smithy/signature-v4'), NEEDED_BY, VERIFIER_PEERS);
// eslint-disable-next-line @typescript-eslint/no-require-imports
requirePeer('@smithy/hash-node', () => require('@smithy/hash-node'), NEEDED_BY, VERIFIER_PEERS);
