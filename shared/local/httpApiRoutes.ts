import { LocalPlatformError } from './errors';
import type { LocalFunction } from './localFunction';
import type { ServerlessConfig } from './serverlessConfig';

/** A Lambda request authorizer as the emulated HTTP API invokes it. */
export interface HttpApiAuthorizer {
  name: string;
  function: LocalFunction;
  /** `{ isAuthorized, context }` answers; otherwise an IAM policy answer is expected. */
  enableSimpleResponses: boolean;
}

/** One route of the emulated HTTP API: `METHOD /path` (or `$default`) to a function. */
export interface HttpApiRoute {
  /** Upper case, or `ANY`. */
  method: string;
  /** `/v1/models/{model}`, `/files/{proxy+}`, or `$default` for the catch-all route. */
  path: string;
  function: LocalFunction;
  authorizer?: HttpApiAuthorizer;
}

/** The route a request matched and the path parameters it bound. */
export interface RouteMatch {
  route: HttpApiRoute;
  routeKey: string;
  pathParameters?: Record<string, string>;
}

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

interface CompiledRoute {
  route: HttpApiRoute;
  routeKey: string;
  segments: Segment[] | 'default';
}

/**
 * Matches requests to routes the way API Gateway HTTP APIs do: path matching is case
 * sensitive, `{name}` binds one segment, a trailing `{name+}` binds the rest (at least one
 * segment); the most specific route wins (literal over `{param}` over `{proxy+}`, segment
 * by segment, then a named method over `ANY`), and `$default` catches what nothing else does.
 */
export class HttpApiRouter {
  private readonly routes: CompiledRoute[];

  constructor(routes: HttpApiRoute[]) {
    this.routes = routes.map(compile).sort(bySpecificity);
  }

  /** The best route for a request, or undefined (API Gateway's 404). */
  match(method: string, rawPath: string): RouteMatch | undefined {
    const requestSegments = rawPath.split('/').slice(1);
    for (const compiled of this.routes) {
      if (compiled.route.method !== 'ANY' && compiled.route.method !== method) continue;
      if (compiled.segments === 'default') return { route: compiled.route, routeKey: compiled.routeKey };
      const pathParameters = bind(compiled.segments, requestSegments);
      if (pathParameters) {
        return { route: compiled.route, routeKey: compiled.routeKey, ...(Object.keys(pathParameters).length ? { pathParameters } : {}) };
      }
    }
    return undefined;
  }
}

/**
 * The routes of every `httpApi` event in serverless.yml, each bound to its function and,
 * where it names one, to its authorizer's function.
 */
export function httpApiRoutesFrom(config: ServerlessConfig, functionFor: (key: string) => LocalFunction): HttpApiRoute[] {
  const authorizers = new Map<string, HttpApiAuthorizer>();
  const authorizerFor = (name: string): HttpApiAuthorizer => {
    const existing = authorizers.get(name);
    if (existing) return existing;
    const definition = config.httpApi.authorizers[name];
    if (!definition) throw new LocalPlatformError(`httpApi authorizer "${name}" is not defined under provider.httpApi.authorizers`, { code: 'UNSUPPORTED' });
    if (definition.type !== 'request' || !definition.functionName || definition.payloadVersion !== '2.0') {
      throw new LocalPlatformError(`httpApi authorizer "${name}": only Lambda request authorizers with payload 2.0 are emulated locally`, { code: 'UNSUPPORTED' });
    }
    const authorizer = { name, function: functionFor(definition.functionName), enableSimpleResponses: definition.enableSimpleResponses };
    authorizers.set(name, authorizer);
    return authorizer;
  };
  return config.functions.flatMap((fn) =>
    fn.events.flatMap((event) =>
      event.type !== 'httpApi'
        ? []
        : [{
            method: event.method,
            path: event.path === '*' ? '$default' : event.path,
            function: functionFor(fn.name),
            ...(event.authorizer ? { authorizer: authorizerFor(event.authorizer) } : {}),
          }],
    ),
  );
}

function compile(route: HttpApiRoute): CompiledRoute {
  if (route.path === '$default') return { route, routeKey: '$default', segments: 'default' };
  const parts = route.path.split('/').slice(1);
  const segments = parts.map((part, index): Segment => {
    const param = /^\{([^{}+]+)(\+)?\}$/.exec(part);
    if (!param) return { kind: 'literal', value: part };
    if (param[2] && index !== parts.length - 1) throw new LocalPlatformError(`Greedy {${param[1]}+} must be the last segment of ${route.path}`, { code: 'UNSUPPORTED' });
    return param[2] ? { kind: 'greedy', name: param[1]! } : { kind: 'param', name: param[1]! };
  });
  return { route, routeKey: `${route.method} ${route.path}`, segments };
}

const RANK = { literal: 0, param: 1, greedy: 2 } as const;

/**
 * A total order (Array.sort needs one): segment ranks compared lexicographically, a
 * shorter path first on a common prefix, then a named method before `ANY`. Between two
 * routes that can match the same request this puts the more specific one first.
 */
function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  if (a.segments === 'default' || b.segments === 'default') return (a.segments === 'default' ? 1 : 0) - (b.segments === 'default' ? 1 : 0);
  for (let index = 0; index < Math.min(a.segments.length, b.segments.length); index += 1) {
    const difference = RANK[a.segments[index]!.kind] - RANK[b.segments[index]!.kind];
    if (difference !== 0) return difference;
  }
  if (a.segments.length !== b.segments.length) return a.segments.length - b.segments.length;
  return (a.route.method === 'ANY' ? 1 : 0) - (b.route.method === 'ANY' ? 1 : 0);
}

function bind(segments: Segment[], request: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = request.slice(index);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      parameters[segment.name] = decode(rest.join('/'));
      return parameters;
    }
    const value = request[index];
    if (value === undefined) return undefined;
    if (segment.kind === 'literal' ? value !== segment.value : value === '') return undefined;
    if (segment.kind === 'param') parameters[segment.name] = decode(value);
  }
  return segments.length === request.length ? parameters : undefined;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
