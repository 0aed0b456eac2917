import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { securityBaselineViolations, type Template } from '../helpers/securityBaseline';

/** The template `osls package` writes, offline (dummy credentials, no network). */
function packagedTemplate(): Template {
  const dir = mkdtempSync(join(tmpdir(), 'osls-baseline-'));
  try {
    execFileSync(process.execPath, [require.resolve('osls/bin/serverless.js'), 'package', '--stage', 'baseline', '--package', dir], {
      cwd: join(__dirname, '..', '..'),
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      },
      stdio: 'pipe',
      timeout: 120_000,
    });
    return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('security baseline of the deployed template', () => {
  let template: Template;
  beforeAll(() => {
    template = packagedTemplate();
  }, 120_000);

  it('holds: private encrypted TLS-only bucket, PITR and SSE on the table, DLQ and alarm per queue, own least-privilege roles, log retention, API throttling', () => {
    expect(securityBaselineViolations(template)).toEqual([]);
  });

  // The test of the test: break each property and the checker must say so.
  const removals: [string, (t: any) => void, RegExp][] = [
    [
      'the TLS-only bucket policy removed',
      (t) => {
        delete t.Resources.PlatformBucketPolicy;
      },
      /without TLS/,
    ],
    [
      'public access blocking turned off',
      (t) => {
        t.Resources.PlatformBucket.Properties.PublicAccessBlockConfiguration.BlockPublicPolicy = false;
      },
      /BlockPublicPolicy/,
    ],
    [
      'bucket encryption removed',
      (t) => {
        delete t.Resources.PlatformBucket.Properties.BucketEncryption;
      },
      /no default encryption/,
    ],
    [
      'point-in-time recovery removed',
      (t) => {
        delete t.Resources.PlatformTable.Properties.PointInTimeRecoverySpecification;
      },
      /point-in-time/,
    ],
    [
      'table encryption removed',
      (t) => {
        delete t.Resources.PlatformTable.Properties.SSESpecification;
      },
      /SSE/,
    ],
    [
      'a dead-letter queue removed',
      (t) => {
        delete t.Resources.WorkQueue.Properties.RedrivePolicy;
      },
      /WorkQueue: no dead-letter queue/,
    ],
    [
      'a queue alarm removed',
      (t) => {
        delete t.Resources.WorkDeadLetterQueueAlarm;
      },
      /WorkDeadLetterQueue: no alarm/,
    ],
    [
      'queue encryption removed',
      (t) => {
        delete t.Resources.RequestsQueue.Properties.SqsManagedSseEnabled;
      },
      /RequestsQueue: not encrypted/,
    ],
    [
      'a wildcard action added',
      (t) => {
        t.Resources.WorkerIamRoleLambdaExecution.Properties.Policies[0].PolicyDocument.Statement.push({
          Effect: 'Allow',
          Action: 's3:*',
          Resource: 'arn:aws:s3:::x',
        });
      },
      /wildcard action/,
    ],
    [
      'a wildcard resource added',
      (t) => {
        t.Resources.WorkerIamRoleLambdaExecution.Properties.Policies[0].PolicyDocument.Statement.push({
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: '*',
        });
      },
      /wildcard resource/,
    ],
    [
      'a role shared by two functions',
      (t) => {
        t.Resources.HealthLambdaFunction.Properties.Role = t.Resources.ModelsLambdaFunction.Properties.Role;
      },
      /shared by 2 functions/,
    ],
    [
      'log retention removed',
      (t) => {
        delete t.Resources.WorkerLogGroup.Properties.RetentionInDays;
      },
      /WorkerLogGroup: no log retention/,
    ],
    [
      'API throttling removed',
      (t) => {
        delete Object.values<any>(t.Resources).find((r) => r.Type === 'AWS::ApiGateway::Deployment').Properties.StageDescription
          .ThrottlingRateLimit;
      },
      /no throttling limits/,
    ],
  ];
  it.each(removals)('notices %s', (_what, remove, expected) => {
    const changed = structuredClone(template);
    remove(changed);
    expect(securityBaselineViolations(changed).join('\n')).toMatch(expected);
  });
});
