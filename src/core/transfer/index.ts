// Public surface of the transfer client (used by the CLI and the extension).
import { AgentClient, type ClientOptions } from './client';
import { TransferError } from './errors';
import { openSerialLink, portHolders } from './serial-link';

export * from './client';
export * from './errors';
export * from './frame';
export * from './serial-link';
export * from './upload';
export * from './uploadfs';

/** Opens the port and says HELLO; closes the port again if no agent answers. */
export async function connectAgent(port: string, baudRate = 921600, opts: ClientOptions = {}): Promise<AgentClient> {
  const link = await openSerialLink(port, baudRate);
  try {
    return await AgentClient.connect(link, opts);
  } catch (e) {
    await link.close();
    // A monitor that opened the port without a lock silently eats the agent's answers.
    const holders = e instanceof TransferError && e.code === 'NO_AGENT' ? portHolders(port) : [];
    if (holders.length) throw new TransferError('NO_AGENT', `${(e as Error).message} ${port} is also open in: ${holders.join(', ')}.`);
    throw e;
  }
}
