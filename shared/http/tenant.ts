import { AuthenticationError, PermissionDeniedError } from '../errors/requestErrors';
import type { RouteEvent } from './routeEvent';

/** What the authorizer hands each route about the caller (REST authorizer context values are strings). */
export interface AuthorizerContext {
  tenantId: string;
  keyId: string;
  /** `admin` or `member`. */
  role: string;
  /** The key's own rate limits as JSON, when an admin set any. */
  keyLimits?: string;
}

/** The caller, once authenticated. */
export interface Tenant {
  tenantId: string;
  keyId: string;
  /** What the key may do; a context without a role (an authorizer of an older deployment) is `member`. */
  role: 'admin' | 'member';
  /** The key's own rate limits (`requests_per_minute`…), parsed by the limiter; absent when none were set. */
  keyLimits?: unknown;
}

/**
 * The tenant behind a request, from the authorizer's context. API Gateway only lets a
 * request through once the authorizer allowed it, so this holds the caller; a request
 * that arrives without one (a misconfigured route) is still refused with the OpenAI 401.
 */
export function tenantOf(event: Pick<RouteEvent, 'authorizer'>): Tenant {
  const { tenantId, keyId, role, keyLimits } = event.authorizer ?? {};
  if (typeof tenantId !== 'string' || !tenantId || typeof keyId !== 'string' || !keyId) throw new AuthenticationError();
  return {
    tenantId,
    keyId,
    role: role === 'admin' ? 'admin' : 'member',
    ...(typeof keyLimits === 'string' ? { keyLimits: parsed(keyLimits) } : {}),
  };
}

/** Refuses (403, OpenAI's error shape) a caller whose key is not an admin key. */
export function requireAdmin(tenant: Tenant): void {
  if (tenant.role !== 'admin') throw new PermissionDeniedError();
}

/** Middleware: refuses a request without a tenant with the OpenAI 401 before anything else runs. */
export function requireTenant(): { before: (request: { event: unknown }) => void } {
  return {
    before: (request) => {
      tenantOf(request.event as RouteEvent);
    },
  };
}

function parsed(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
