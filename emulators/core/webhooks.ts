/**
 * Outgoing webhook deliveries for an emulator: sent in the background, as vendors send them, with a way
 * for tests to wait until every delivery started so far has finished. A failed delivery is dropped
 * (vendors retry for hours or days; Ferry's scheduled sweep is what catches a missed webhook).
 */
export class WebhookSender {
  private readonly inFlight = new Set<Promise<void>>();

  send(url: string, headers: Record<string, string>, body: string): void {
    const delivery = fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
      .then(() => undefined)
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }
}

/** The `/__admin/webhooks` endpoint every emulator offers: a POSTed subscription joins `subscriptions`. */
export function subscribeEndpoint<T>(subscriptions: T[]): (request: { rawBody: Buffer }) => { status: number; body: T } {
  return (request) => {
    const subscription = JSON.parse(request.rawBody.toString('utf8')) as T;
    subscriptions.push(subscription);
    return { status: 201, body: subscription };
  };
}
