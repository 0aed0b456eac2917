/**
 * Preloaded into the local platform's process by the suite (item 4 / item 6) with
 * NODE_OPTIONS=--require: counts every AWS SDK command any client in the process sends
 * (handlers, the SQS pollers standing in for Lambda's event source mappings, the S3
 * notification forwarder), by service and command, and writes the counts as JSON to
 * $AWS_CALL_COUNT_FILE every 100 ms and at exit. Measurement only: nothing is changed.
 *
 * ReceiveMessage is split into receives that returned messages and empty ones (idle
 * polling, a fixed cost of a queue rather than a cost per request). DynamoDB writes
 * carry an estimate of their write units (1 per started KiB of the item written).
 */
'use strict';
const { writeFileSync } = require('node:fs');
const { Client } = require('@smithy/core/client');

const file = process.env.AWS_CALL_COUNT_FILE;
const counts = {};
let changed = true;

function serviceOf(client) {
  const name = (client && client.constructor && client.constructor.name) || 'Unknown';
  if (name.startsWith('DynamoDB')) return 'DynamoDB';
  return name.replace(/Client$/, '');
}

/** Calls are counted as `Service.Command`; details (not calls) as `#Service.detail`. */
function bump(key, by = 1) {
  counts[key] = (counts[key] || 0) + by;
  changed = true;
}

/** Started KiB of what a write stores (a rough item size: its JSON, names and values). */
function writeUnits(input) {
  const item = input && (input.Item || input.Key);
  if (!item) return 1;
  const values = input.ExpressionAttributeValues || {};
  const size = Buffer.byteLength(JSON.stringify(item)) + Buffer.byteLength(JSON.stringify(values));
  return Math.max(1, Math.ceil(size / 1024));
}

const DYNAMO_WRITES = new Set(['PutCommand', 'PutItemCommand', 'UpdateCommand', 'UpdateItemCommand', 'DeleteCommand', 'DeleteItemCommand']);
const DYNAMO_BATCH_WRITES = new Set(['BatchWriteCommand', 'BatchWriteItemCommand', 'TransactWriteCommand', 'TransactWriteItemsCommand']);

const send = Client.prototype.send;
Client.prototype.send = function countedSend(command, ...rest) {
  const service = serviceOf(this);
  const name = (command && command.constructor && command.constructor.name) || 'UnknownCommand';
  const key = `${service}.${name.replace(/Command$/, '')}`;
  bump(key);
  if (service === 'DynamoDB' && DYNAMO_WRITES.has(name)) bump('#DynamoDB.writeUnits', writeUnits(command.input));
  if (service === 'DynamoDB' && DYNAMO_BATCH_WRITES.has(name)) {
    const requests = Object.values((command.input && (command.input.RequestItems || {})) || {}).flat();
    const items = command.input && command.input.TransactItems ? command.input.TransactItems.length : requests.length;
    bump('#DynamoDB.writeUnits', Math.max(1, items) * (command.input && command.input.TransactItems ? 2 : 1));
  }
  if (service === 'SQS' && name === 'SendMessageBatchCommand') bump('#SQS.messagesSent', (command.input.Entries || []).length);
  if (service === 'SQS' && name === 'SendMessageCommand') bump('#SQS.messagesSent');
  const result = send.call(this, command, ...rest);
  if (service === 'SQS' && name === 'ReceiveMessageCommand' && result && typeof result.then === 'function') {
    result.then(
      (output) => {
        const received = (output && output.Messages && output.Messages.length) || 0;
        bump(received > 0 ? '#SQS.ReceiveMessage.withMessages' : '#SQS.ReceiveMessage.empty');
        bump('#SQS.messagesReceived', received);
      },
      () => bump('#SQS.ReceiveMessage.failed'),
    );
  }
  return result;
};

function flush() {
  if (!file || !changed) return;
  changed = false;
  try {
    writeFileSync(file, JSON.stringify({ at: Date.now(), counts }));
  } catch {
    // The suite reads the last good copy; a failed write is retried at the next tick.
    changed = true;
  }
}
setInterval(flush, 100).unref();
process.on('exit', flush);
