/** The signer: see sigv4/index.ts for its layout, a file per step of the spec. */
export * from './sigv4/index.js';
