import {
  SendMessageBatchCommand,
  type MessageAttributeValue,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { escapeForSqs } from '../../sqsEvents/sqsText';
import type { MessageAttribute } from '../../sqsEvents/sqsBatchAll';
import type { AnswerSendFailure, AnswerSender, OutgoingAnswer } from '../../queueRequests/ports';

/** Options of {@link SqsAnswerSender}. */
export interface SqsAnswerSenderOptions {
  /** Calls per batch while SQS fails entries for its own reasons (throttled, internal). Default 4. */
  maxAttempts?: number;
  /** First backoff between those calls, doubled each time. Default 50 ms. */
  backoffMs?: number;
}

/**
 * Sends answers with SendMessageBatch. An answer's body is JSON; characters SQS cannot
 * carry (a model may answer U+FFFF) are sent escaped, which JSON.parse undoes. Entries SQS fails on its side are sent again with
 * backoff; entries it refuses as the sender's fault (too large, bad attributes) are not.
 * Whatever is left is reported back per answer, so only those requests are retried. A FIFO
 * reply queue gets the answer's id as group and deduplication id: SQS then drops a copy
 * of an answer sent within five minutes of the first.
 */
export class SqsAnswerSender implements AnswerSender {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(
    private readonly client: SQSClient,
    options: SqsAnswerSenderOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.backoffMs = options.backoffMs ?? 50;
  }

  async sendBatch(queueUrl: string, answers: readonly OutgoingAnswer[]): Promise<AnswerSendFailure[]> {
    if (answers.length === 0) return [];
    const fifo = queueUrl.endsWith('.fifo');
    const answerIds = new Map<string, string>();
    let entries: SendMessageBatchRequestEntry[] = answers.map((answer, index) => {
      answerIds.set(String(index), answer.id);
      return {
        Id: String(index),
        MessageBody: escapeForSqs(answer.body),
        MessageAttributes: toSqsAttributes(answer.attributes),
        ...(fifo ? { MessageGroupId: answer.id, MessageDeduplicationId: answer.id } : {}),
      };
    });
    const refused: AnswerSendFailure[] = [];
    for (let attempt = 1; ; attempt++) {
      const { Failed = [] } = await this.client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      const failures = Failed.map((failure) => ({
        entry: failure.Id ?? '',
        sender: failure.SenderFault === true,
        code: failure.Code ?? 'unknown',
        message: failure.Message ?? '',
      }));
      const toFailure = (f: (typeof failures)[number]) => ({ id: answerIds.get(f.entry) ?? f.entry, code: f.code, message: f.message });
      refused.push(...failures.filter((f) => f.sender).map(toFailure));
      const transient = failures.filter((f) => !f.sender);
      if (transient.length === 0) return refused;
      if (attempt >= this.maxAttempts) return [...refused, ...transient.map(toFailure)];
      const again = new Set(transient.map((f) => f.entry));
      entries = entries.filter((entry) => again.has(entry.Id!));
      await new Promise((resolve) => setTimeout(resolve, this.backoffMs * 2 ** (attempt - 1)));
    }
  }
}

/** Attributes as SendMessage takes them; binary values arrive in base64 and leave as bytes. */
export function toSqsAttributes(attributes: Record<string, MessageAttribute>): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, attribute]) => [
      name,
      {
        DataType: attribute.dataType,
        ...(attribute.stringValue !== undefined ? { StringValue: attribute.stringValue } : {}),
        ...(attribute.binaryValue !== undefined ? { BinaryValue: Buffer.from(attribute.binaryValue, 'base64') } : {}),
      },
    ]),
  );
}
