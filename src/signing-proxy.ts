// The proxy lives in ./proxy/, one module per concern; this path stays for existing imports.
export * from './proxy/signing-proxy.js';
