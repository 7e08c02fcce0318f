/**
 * The end-to-end bench's two stubs, in a process of their own (forked by bench/lib/e2e.ts):
 * one verifying signatures, one passing through. Out of the client's process so that the
 * client's event loop does the client's work only, as against AWS, where the checking
 * happens on the far side; both modes pay the same extra hop.
 *
 *   argv: <upstream url> <region> <service> <credentials as JSON>
 *   -> { ready: { signedUrl, plainUrl } }; <- 'stats' -> { stats }; <- 'close' -> exits
 */
import { VerifyProxy, type VerifyProxyCredentials } from '../src/testing/verify-proxy.js';

async function main(): Promise<void> {
  const [target, region, service, credentialsJson] = process.argv.slice(2);
  if (!target || !region || !service || !credentialsJson || process.send === undefined) {
    throw new Error('usage: forked with <upstream url> <region> <service> <credentials JSON>');
  }
  const credentials = JSON.parse(credentialsJson) as VerifyProxyCredentials;
  const signed = await VerifyProxy.start({ target, region, service, credentials: [credentials] });
  const plain = await VerifyProxy.start({ target, passThrough: true });
  const close = async (): Promise<void> => {
    await Promise.all([signed.close(), plain.close()]).catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (message: unknown) => {
    if (message === 'stats') process.send!({ stats: { signed: signed.stats(), plain: plain.stats() } });
    else if (message === 'close') void close();
  });
  // The parent gone (crashed, killed): nothing left to serve.
  process.on('disconnect', () => void close());
  process.send({ ready: { signedUrl: signed.url, plainUrl: plain.url } });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
