import type { SettleTokens } from '../realtime/InferenceService';
import type { Caller, TenantAdmission } from './TenantAdmission';
import { RateLimitValues } from './types';

/** The caller as a route knows it: the authorizer's tenant, key and the key's own limits (unparsed). */
export interface RouteCaller {
  tenantId: string;
  keyId: string;
  keyLimits?: unknown;
}

/**
 * The `admit` step a real-time route hands the inference service: admits the request
 * for its caller once its tokens are estimated, and puts OpenAI's `x-ratelimit-*`
 * headers on the answer (`answerHeaders`, which every answer of the invocation carries).
 */
export function admitRealtime(
  admission: Pick<TenantAdmission, 'admit'>,
  caller: RouteCaller,
  answerHeaders: Record<string, string>,
): (estimatedTokens: number) => Promise<SettleTokens> {
  return async (estimatedTokens) => {
    const admitted = await admission.admit(callerOf(caller), estimatedTokens);
    Object.assign(answerHeaders, admitted.headers);
    return admitted.settle;
  };
}

/** The {@link Caller} of a route: key limits that do not parse (an older authorizer's) count as none. */
export function callerOf(caller: RouteCaller): Caller {
  const limits = RateLimitValues.safeParse(caller.keyLimits);
  return {
    tenantId: caller.tenantId,
    keyId: caller.keyId,
    ...(caller.keyLimits !== undefined && limits.success ? { keyLimits: limits.data } : {}),
  };
}
