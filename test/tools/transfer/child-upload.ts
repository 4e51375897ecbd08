// A separate client process for the kill test: uploads argv[3] as argv[4] over port argv[2]
// and prints its progress, so the parent can SIGKILL it mid-file.
import { readFileSync } from 'node:fs';
import { connectAgent } from '../../../src/core/transfer';

const [port, file, remote] = process.argv.slice(2);
connectAgent(port)
  .then(async (c) => {
    await c.upload(remote, new Uint8Array(readFileSync(file)), { onProgress: (p) => process.stdout.write(`done ${p.done}\n`) });
    await c.close();
  })
  .catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
