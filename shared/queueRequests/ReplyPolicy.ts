import { ConfigError } from '../config/config';

/** A queue URL taken apart: where the SQS endpoint is, whose queue, and its name. */
export interface QueueAddress {
  /** `https://sqs.us-east-1.amazonaws.com`, or `http://127.0.0.1:9324` locally. */
  endpoint: string;
  account: string;
  name: string;
}

/** Where answers may go, as configured (and as the consumer's IAM policy allows). */
export interface ReplyPolicyOptions {
  /** The platform's results queue: the default `reply_to`. */
  resultsQueueUrl: string;
  /** Other queues whose NAME starts with this may receive answers (`<service>-<stage>-reply-`). */
  replyQueuePrefix: string;
}

/** The queue an answer goes to, or why it may not go where the message asked. */
export type ReplyDecision = { allowed: true; queueUrl: string } | { allowed: false; reason: string };

const ACCOUNT = /^\d{12}$/;
/** SQS queue names: 1–80 of letters, digits, `-` and `_`, a FIFO queue's ending in `.fifo`. */
const QUEUE_NAME = /^(?=.{1,80}$)[A-Za-z0-9_-]+(\.fifo)?$/;

/**
 * Parses an SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`, or a local
 * server's `http://127.0.0.1:<port>/000000000000/<name>`). Undefined for anything else:
 * credentials, a query, a fragment, a path that is not exactly account then name.
 */
export function parseQueueUrl(url: string): QueueAddress | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  if (parsed.username || parsed.password || parsed.search || parsed.hash) return undefined;
  const segments = parsed.pathname.split('/');
  if (segments.length !== 3 || segments[0] !== '') return undefined;
  const [, account, name] = segments as [string, string, string];
  if (!ACCOUNT.test(account) || !QUEUE_NAME.test(name)) return undefined;
  return { endpoint: `${parsed.protocol}//${parsed.host}`, account, name };
}

/**
 * Which queues may receive answers: the platform's results queue, and queues of the same
 * account on the same endpoint whose name starts with the reply prefix — exactly what the
 * consumer's IAM policy lets it send to. Names are compared on the parsed URL, never as
 * raw strings (a prefix check on a URL would let `…/reply-x/../evil` or another account
 * through), and the answer goes to the URL rebuilt from what was checked.
 */
export class ReplyPolicy {
  private readonly results: QueueAddress;

  constructor(private readonly options: ReplyPolicyOptions) {
    const results = parseQueueUrl(options.resultsQueueUrl);
    if (!results) throw new ConfigError(`RESULTS_QUEUE_URL is not an SQS queue URL: ${options.resultsQueueUrl}`);
    if (!/^[A-Za-z0-9_-]+$/.test(options.replyQueuePrefix))
      throw new ConfigError(`REPLY_QUEUE_PREFIX is not the start of a queue name: ${options.replyQueuePrefix}`);
    this.results = results;
  }

  /** The results queue's URL. */
  get resultsQueueUrl(): string {
    return urlOf(this.results);
  }

  /** Where the answer to a message with this `reply_to` goes; absent means the results queue. */
  decide(replyTo: unknown): ReplyDecision {
    if (replyTo === undefined) return { allowed: true, queueUrl: this.resultsQueueUrl };
    if (typeof replyTo !== 'string') return { allowed: false, reason: 'it must be a queue URL (a string).' };
    const address = parseQueueUrl(replyTo);
    if (!address)
      return { allowed: false, reason: 'it is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue name>).' };
    if (address.endpoint !== this.results.endpoint || address.account !== this.results.account) {
      return { allowed: false, reason: `answers go only to queues of account ${this.results.account} at ${this.results.endpoint}.` };
    }
    const { replyQueuePrefix } = this.options;
    const isResults = address.name === this.results.name;
    const isReply = address.name.startsWith(replyQueuePrefix) && address.name.length > replyQueuePrefix.length;
    if (!isResults && !isReply) {
      return {
        allowed: false,
        reason: `queue '${address.name}' is neither the results queue '${this.results.name}' nor a queue whose name starts with '${replyQueuePrefix}'.`,
      };
    }
    return { allowed: true, queueUrl: urlOf(address) };
  }
}

function urlOf(address: QueueAddress): string {
  return `${address.endpoint}/${address.account}/${address.name}`;
}
