import { LocalPlatformError } from './errors';
import type { LocalFunction } from './localFunction';
import type { ServerlessConfig } from './serverlessConfig';

/** A Lambda REQUEST authorizer as the emulated REST API invokes it (it answers an IAM policy). */
export interface HttpApiAuthorizer {
  name: string;
  function: LocalFunction;
}

/** One route (a method of a resource) of the emulated REST API, to a function. */
export interface HttpApiRoute {
  /** Upper case, or `ANY`. */
  method: string;
  /** `/v1/models/{model}`, `/files/{proxy+}`. */
  path: string;
  function: LocalFunction;
  authorizer?: HttpApiAuthorizer;
  /**
   * The integration streams (ResponseTransferMode STREAM): the function is invoked with a
   * response stream and what it writes goes on to the client as it is written.
   */
  streaming?: boolean;
}

/** The route a request matched and the path parameters it bound. */
export interface RouteMatch {
  route: HttpApiRoute;
  /** `METHOD /resource`, e.g. `GET /v1/files/{fileId}`. */
  routeKey: string;
  pathParameters?: Record<string, string>;
}

/** The REST API settings of serverless.yml the local API applies besides its routes. */
export interface RestApiSettings {
  /** provider.apiGateway.binaryMediaTypes: request bodies of these types go base64-encoded. */
  binaryMediaTypes: string[];
  /** The AWS::ApiGateway::GatewayResponse resources, by response type. */
  gatewayResponses: Record<string, GatewayResponseConfig>;
}

/** A customised gateway response: API Gateway's own answer of one type. */
export interface GatewayResponseConfig {
  statusCode?: number;
  /** The application/json template, used as it is (no $context substitution locally). */
  body?: string;
  headers: Record<string, string>;
}

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

interface CompiledRoute {
  route: HttpApiRoute;
  routeKey: string;
  segments: Segment[];
}

/**
 * Matches requests to routes the way API Gateway does: path matching is case sensitive,
 * `{name}` binds one segment, a trailing `{name+}` binds the rest (at least one segment);
 * the most specific route wins (literal over `{param}` over `{proxy+}`, segment by
 * segment, then a named method over `ANY`).
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
      const pathParameters = bind(compiled.segments, requestSegments);
      if (pathParameters) {
        return { route: compiled.route, routeKey: compiled.routeKey, ...(Object.keys(pathParameters).length ? { pathParameters } : {}) };
      }
    }
    return undefined;
  }
}

/**
 * The routes of every `http` event (REST API) in serverless.yml, each bound to its
 * function and, where it names one, to its authorizer's function. A route streams when
 * `resources.extensions` gives its method (osls's logical id,
 * `ApiGatewayMethod<Path><Method>`) an Integration with ResponseTransferMode STREAM, as
 * the deployed template does.
 */
export function httpApiRoutesFrom(config: ServerlessConfig, functionFor: (key: string) => LocalFunction): HttpApiRoute[] {
  const authorizers = new Map<string, HttpApiAuthorizer>();
  const authorizerFor = (definition: unknown, where: string): HttpApiAuthorizer => {
    const spec = typeof definition === 'string' ? { name: definition } : isRecord(definition) ? definition : {};
    const name = String(spec.name ?? '');
    const type = String(spec.type ?? 'token').toLowerCase();
    if (!name || type !== 'request' || spec.arn !== undefined) {
      throw new LocalPlatformError(`${where}: only Lambda REQUEST authorizers of this service (by function name) are emulated locally`, {
        code: 'UNSUPPORTED',
      });
    }
    if (Number(spec.resultTtlInSeconds ?? 300) !== 0 || spec.identitySource !== undefined) {
      throw new LocalPlatformError(
        `${where}: authorizer caching and identity sources are not emulated locally (use resultTtlInSeconds: 0, no identitySource)`,
        { code: 'UNSUPPORTED' },
      );
    }
    const existing = authorizers.get(name);
    if (existing) return existing;
    const authorizer = { name, function: functionFor(name) };
    authorizers.set(name, authorizer);
    return authorizer;
  };
  const extensions = resourceExtensions(config);
  return config.functions.flatMap((fn) =>
    fn.events.flatMap((event, index) => {
      if (event.type !== 'other' || event.name !== 'http') return [];
      const where = `functions.${fn.name}.events[${index}].http`;
      const definition = typeof event.definition === 'string' ? shorthand(event.definition) : event.definition;
      if (!isRecord(definition) || typeof definition.path !== 'string')
        throw new LocalPlatformError(`${where} needs a path`, { code: 'UNSUPPORTED' });
      const method = String(definition.method ?? 'ANY').toUpperCase() === '*' ? 'ANY' : String(definition.method ?? 'ANY').toUpperCase();
      const path = `/${definition.path.replace(/^\/+/, '')}`;
      const integration = extensions[methodLogicalId(path, method)]?.Properties?.Integration;
      return [
        {
          method,
          path,
          function: functionFor(fn.name),
          ...(definition.authorizer !== undefined ? { authorizer: authorizerFor(definition.authorizer, where) } : {}),
          ...(isRecord(integration) && integration.ResponseTransferMode === 'STREAM' ? { streaming: true } : {}),
        },
      ];
    }),
  );
}

/** provider.apiGateway's binary media types and the gateway responses of `resources`. */
export function restApiSettingsFrom(config: ServerlessConfig): RestApiSettings {
  const provider = isRecord(config.document.provider) ? config.document.provider : {};
  const apiGateway = isRecord(provider.apiGateway) ? provider.apiGateway : {};
  const binaryMediaTypes = Array.isArray(apiGateway.binaryMediaTypes) ? apiGateway.binaryMediaTypes.map(String) : [];
  const gatewayResponses: Record<string, GatewayResponseConfig> = {};
  for (const resource of Object.values(config.resources)) {
    if (resource.Type !== 'AWS::ApiGateway::GatewayResponse' || !resource.Properties) continue;
    const { ResponseType, StatusCode, ResponseTemplates, ResponseParameters } = resource.Properties as Record<string, unknown>;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(isRecord(ResponseParameters) ? ResponseParameters : {})) {
      const header = /^gatewayresponse\.header\.(.+)$/.exec(key);
      // Static values are quoted ('application/json'); mappings from the request are not emulated.
      if (header && typeof value === 'string' && /^'.*'$/.test(value)) headers[header[1]!.toLowerCase()] = value.slice(1, -1);
    }
    const template = isRecord(ResponseTemplates) ? ResponseTemplates['application/json'] : undefined;
    gatewayResponses[String(ResponseType)] = {
      ...(StatusCode !== undefined ? { statusCode: Number(StatusCode) } : {}),
      ...(typeof template === 'string' ? { body: template } : {}),
      headers,
    };
  }
  return { binaryMediaTypes, gatewayResponses };
}

/** osls's logical id of a method: `ApiGatewayMethod` + each path part normalised + the method. */
export function methodLogicalId(path: string, method: string): string {
  const part = (raw: string) =>
    upperFirst(
      raw
        .toLowerCase()
        .replace(/-/g, 'Dash')
        .replace(/\{(.*)\}/g, '$1Var')
        .replace(/[^0-9A-Za-z]/g, ''),
    );
  const name = method === 'ANY' ? 'Any' : upperFirst(method.toLowerCase());
  return `ApiGatewayMethod${path.split('/').map(part).join('')}${name}`;
}

function resourceExtensions(config: ServerlessConfig): Record<string, { Properties?: Record<string, unknown> }> {
  const resources = isRecord(config.document.resources) ? config.document.resources : {};
  return isRecord(resources.extensions) ? (resources.extensions as Record<string, { Properties?: Record<string, unknown> }>) : {};
}

/** `http: GET /path` shorthand. */
function shorthand(definition: string): Record<string, unknown> {
  const [method = 'ANY', path = ''] = definition.trim().split(/\s+/);
  return { method, path };
}

function upperFirst(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function compile(route: HttpApiRoute): CompiledRoute {
  const parts = route.path.split('/').slice(1);
  const segments = parts.map((part, index): Segment => {
    const param = /^\{([^{}+]+)(\+)?\}$/.exec(part);
    if (!param) return { kind: 'literal', value: part };
    if (param[2] && index !== parts.length - 1)
      throw new LocalPlatformError(`Greedy {${param[1]}+} must be the last segment of ${route.path}`, { code: 'UNSUPPORTED' });
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
