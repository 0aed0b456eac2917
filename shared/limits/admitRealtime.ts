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
 * The `admit` step a real-time route hands the inference service: puts OpenAI's
 * `x-ratelimit-*` headers as they stand on the answer at once (`answerHeaders`, which
 * every answer of the invocation carries, so a request refused before admission has them
 * too), then admits the request once its tokens are estimated and updates them.
 */
export async function admitRealtime(
  admission: Pick<TenantAdmission, 'admit' | 'headers'>,
  route: RouteCaller,
  answerHeaders: Record<string, string>,
): Promise<(estimatedTokens: number) => Promise<SettleTokens>> {
  const caller = callerOf(route);
  Object.assign(answerHeaders, await admission.headers(caller));
  return async (estimatedTokens) => {
    const admitted = await admission.admit(caller, estimatedTokens);
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
