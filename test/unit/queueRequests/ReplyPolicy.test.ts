import { ConfigError } from '../../../shared/config/config';
import { parseQueueUrl, ReplyPolicy } from '../../../shared/queueRequests/ReplyPolicy';

describe('parseQueueUrl', () => {
  it('takes AWS and local queue URLs apart', () => {
    expect(parseQueueUrl('https://sqs.eu-west-1.amazonaws.com/123456789012/svc-prod-reply-billing')).toEqual({
      endpoint: 'https://sqs.eu-west-1.amazonaws.com',
      account: '123456789012',
      name: 'svc-prod-reply-billing',
    });
    expect(parseQueueUrl('http://127.0.0.1:9324/000000000000/svc-local-results')).toEqual({
      endpoint: 'http://127.0.0.1:9324',
      account: '000000000000',
      name: 'svc-local-results',
    });
    expect(parseQueueUrl('https://sqs.us-east-1.amazonaws.com/123456789012/svc-reply-a.fifo')?.name).toBe('svc-reply-a.fifo');
  });

  it.each([
    ['not a URL', 'svc-prod-reply-x'],
    ['another scheme', 'ftp://sqs.us-east-1.amazonaws.com/123456789012/q'],
    ['credentials', 'https://user:pw@sqs.us-east-1.amazonaws.com/123456789012/q'],
    ['a query', 'https://sqs.us-east-1.amazonaws.com/123456789012/q?x=1'],
    ['a fragment', 'https://sqs.us-east-1.amazonaws.com/123456789012/q#x'],
    ['no account', 'https://sqs.us-east-1.amazonaws.com/q'],
    ['a deeper path', 'https://sqs.us-east-1.amazonaws.com/123456789012/q/extra'],
    ['a trailing slash', 'https://sqs.us-east-1.amazonaws.com/123456789012/q/'],
    ['a bad account', 'https://sqs.us-east-1.amazonaws.com/12345/q'],
    ['a bad name', 'https://sqs.us-east-1.amazonaws.com/123456789012/q%20x'],
    ['a name over 80 characters', `https://sqs.us-east-1.amazonaws.com/123456789012/${'q'.repeat(81)}`],
  ])('refuses %s', (_, url) => {
    expect(parseQueueUrl(url)).toBeUndefined();
  });
});

describe('ReplyPolicy', () => {
  const aws = 'https://sqs.us-east-1.amazonaws.com/123456789012';
  const policy = new ReplyPolicy({ resultsQueueUrl: `${aws}/svc-prod-results`, replyQueuePrefix: 'svc-prod-reply-' });

  it('sends answers to the results queue when the message names none', () => {
    expect(policy.decide(undefined)).toEqual({ allowed: true, queueUrl: `${aws}/svc-prod-results` });
  });

  it('allows the results queue and queues named with the reply prefix, on the same account and endpoint', () => {
    expect(policy.decide(`${aws}/svc-prod-results`)).toEqual({ allowed: true, queueUrl: `${aws}/svc-prod-results` });
    expect(policy.decide(`${aws}/svc-prod-reply-billing`)).toEqual({ allowed: true, queueUrl: `${aws}/svc-prod-reply-billing` });
    expect(policy.decide(`${aws}/svc-prod-reply-x.fifo`)).toMatchObject({ allowed: true });
  });

  it('answers to the URL rebuilt from what it checked (host case and dot segments normalised)', () => {
    expect(policy.decide('https://SQS.us-east-1.amazonaws.com/123456789012/svc-prod-reply-a')).toEqual({
      allowed: true,
      queueUrl: `${aws}/svc-prod-reply-a`,
    });
    expect(policy.decide(`${aws}/other/../svc-prod-reply-a`)).toEqual({ allowed: true, queueUrl: `${aws}/svc-prod-reply-a` });
  });

  it.each([
    ['a queue of another service', `${aws}/billing-prod-queue`, "neither the results queue 'svc-prod-results' nor"],
    ['the prefix alone', `${aws}/svc-prod-reply-`, 'neither'],
    ['the prefix in another case', `${aws}/SVC-prod-reply-a`, 'neither'],
    ['another stage', `${aws}/svc-dev-reply-a`, 'neither'],
    ['the requests queue itself', `${aws}/svc-prod-requests`, 'neither'],
    ['the results DLQ', `${aws}/svc-prod-results-dlq`, 'neither'],
    ['another account', 'https://sqs.us-east-1.amazonaws.com/999999999999/svc-prod-reply-a', 'account 123456789012'],
    [
      'another region',
      'https://sqs.eu-west-1.amazonaws.com/123456789012/svc-prod-reply-a',
      'account 123456789012 at https://sqs.us-east-1.amazonaws.com',
    ],
    ['plain http', 'http://sqs.us-east-1.amazonaws.com/123456789012/svc-prod-reply-a', 'at https://'],
    ['a look-alike host', 'https://sqs.us-east-1.amazonaws.com.evil.example/123456789012/svc-prod-reply-a', 'at https://'],
    ['a raw-string prefix trick', `${aws}/svc-prod-reply-a/../../999999999999/x`, 'account 123456789012'],
    ['a queue name only', 'svc-prod-reply-a', 'not an SQS queue URL'],
    ['a number', 42, 'must be a queue URL'],
    ['null', null, 'must be a queue URL'],
  ])('refuses %s', (_, replyTo, reason) => {
    const decision = policy.decide(replyTo);
    expect(decision.allowed).toBe(false);
    expect(decision.allowed === false && decision.reason).toContain(reason);
  });

  it('fails at cold start on a results queue URL or prefix it cannot use', () => {
    expect(() => new ReplyPolicy({ resultsQueueUrl: 'svc-prod-results', replyQueuePrefix: 'svc-prod-reply-' })).toThrow(ConfigError);
    expect(() => new ReplyPolicy({ resultsQueueUrl: `${aws}/svc-prod-results`, replyQueuePrefix: 'svc/prod' })).toThrow(
      'REPLY_QUEUE_PREFIX',
    );
  });
});
