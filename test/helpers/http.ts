// The same local receiver the demo and the e2e test use: callbacks answered as scripted.
import { startReceiver as start } from '../../scripts/lib/receiver';

export type Receiver = Awaited<ReturnType<typeof start>>;
export type ReceivedRequest = Receiver['requests'][number];

/** A receiver whose `url` is the callback endpoint; `requests` are the callbacks it got. */
export async function startReceiver(answers: number[] = [200]): Promise<Receiver> {
	const receiver = await start({ answers });
	return Object.assign(receiver, { url: receiver.callbackUrl, requests: receiver.callbacks });
}
