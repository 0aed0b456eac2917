/**
 * The security baseline the deployed template must keep, as a checker that lists every
 * violation it finds. Run over the template `osls package` writes; its own test removes
 * each property in turn and shows the checker notices.
 */
type Resource = { Type: string; Properties?: any; Metadata?: any };
export type Template = { Resources: Record<string, Resource> };

const byType = (template: Template, type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** Logical ids referenced by a CloudFormation value (Ref and Fn::GetAtt), anywhere inside it. */
function references(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(references);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.Ref === 'string') return [record.Ref];
    if (Array.isArray(record['Fn::GetAtt'])) return [String(record['Fn::GetAtt'][0])];
    return Object.values(record).flatMap(references);
  }
  return [];
}

/**
 * Resources that AWS gives no narrower ARN for: Bedrock foundation models are named by
 * pattern (`foundation-model/*`), as are the log groups Lambda creates. A bare `*` is
 * never allowed.
 */
function isAllowedWildcard(resource: unknown): boolean {
  const text = JSON.stringify(resource);
  return (
    text.includes('foundation-model/*') ||
    text.includes('inference-profile/*') ||
    text.includes(':log-group:') ||
    text.includes('-reply-*') ||
    text.includes('/index/*') ||
    /"\/(files|outputs|requests)?\/?\*"/.test(text) ||
    text.includes("'/*'") ||
    text.endsWith('/*"]]}')
  );
}

/** Every violation of the baseline in `template`; empty when it holds. */
export function securityBaselineViolations(template: Template): string[] {
  const violations: string[] = [];

  for (const [id, bucket] of byType(template, 'AWS::S3::Bucket')) {
    const block = bucket.Properties?.PublicAccessBlockConfiguration ?? {};
    for (const flag of ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets']) {
      if (block[flag] !== true) violations.push(`${id}: ${flag} is not on`);
    }
    if (!bucket.Properties?.BucketEncryption?.ServerSideEncryptionConfiguration?.length) violations.push(`${id}: no default encryption`);
    const policies = byType(template, 'AWS::S3::BucketPolicy').filter(([, p]) => references(p.Properties?.Bucket).includes(id));
    const denyTls = policies.some(([, p]) =>
      (p.Properties?.PolicyDocument?.Statement ?? []).some(
        (s: any) => s.Effect === 'Deny' && String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false',
      ),
    );
    if (!denyTls) violations.push(`${id}: requests without TLS are not refused`);
  }

  for (const [id, table] of byType(template, 'AWS::DynamoDB::Table')) {
    if (table.Properties?.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled !== true)
      violations.push(`${id}: no point-in-time recovery`);
    if (table.Properties?.SSESpecification?.SSEEnabled !== true) violations.push(`${id}: no encryption (SSE) setting`);
  }

  const queues = byType(template, 'AWS::SQS::Queue');
  const deadLetterTargets = new Set(queues.flatMap(([, q]) => references(q.Properties?.RedrivePolicy?.deadLetterTargetArn)));
  const alarmed = new Set(
    byType(template, 'AWS::CloudWatch::Alarm')
      .filter(([, a]) => a.Properties?.Namespace === 'AWS/SQS' && (a.Properties?.AlarmActions ?? []).length > 0)
      .flatMap(([, a]) => references(a.Properties?.Dimensions)),
  );
  for (const [id, queue] of queues) {
    if (!deadLetterTargets.has(id) && !queue.Properties?.RedrivePolicy?.deadLetterTargetArn) violations.push(`${id}: no dead-letter queue`);
    if (!alarmed.has(id)) violations.push(`${id}: no alarm on its depth`);
    if (queue.Properties?.SqsManagedSseEnabled !== true && !queue.Properties?.KmsMasterKeyId) violations.push(`${id}: not encrypted`);
  }

  const functions = byType(template, 'AWS::Lambda::Function');
  const roles = new Map<string, number>();
  for (const [id, fn] of functions) {
    const role = references(fn.Properties?.Role)[0];
    if (!role) violations.push(`${id}: no role`);
    else roles.set(role, (roles.get(role) ?? 0) + 1);
  }
  for (const [role, count] of roles) if (count > 1) violations.push(`${role}: shared by ${count} functions`);
  for (const [id, role] of byType(template, 'AWS::IAM::Role')) {
    if (!roles.has(id)) continue;
    for (const policy of role.Properties?.Policies ?? []) {
      for (const statement of policy.PolicyDocument?.Statement ?? []) {
        const actions = [statement.Action].flat();
        if (actions.some((a: string) => a === '*' || a.endsWith(':*'))) violations.push(`${id}: wildcard action ${actions.join(',')}`);
        for (const resource of [statement.Resource].flat()) {
          if (resource === '*') violations.push(`${id}: wildcard resource for ${actions.join(',')}`);
          else if (typeof resource === 'string' && resource.includes('*') && !isAllowedWildcard(resource))
            violations.push(`${id}: wildcard resource ${resource}`);
        }
      }
    }
  }

  const logGroups = byType(template, 'AWS::Logs::LogGroup');
  if (logGroups.length < functions.length) violations.push(`only ${logGroups.length} log groups for ${functions.length} functions`);
  for (const [id, group] of logGroups) if (!(group.Properties?.RetentionInDays > 0)) violations.push(`${id}: no log retention`);

  // The REST API's stage comes from its Deployment (StageDescription holds the stage-wide throttling).
  const stages = byType(template, 'AWS::ApiGateway::Deployment');
  if (stages.length === 0) violations.push('no API stage');
  for (const [id, deployment] of stages) {
    const settings = deployment.Properties?.StageDescription ?? {};
    if (!(settings.ThrottlingRateLimit > 0) || !(settings.ThrottlingBurstLimit > 0)) violations.push(`${id}: no throttling limits`);
  }
  return violations;
}
