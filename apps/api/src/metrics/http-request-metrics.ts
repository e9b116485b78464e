import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, LabelValues, Registry } from 'prom-client';

/** Every request Fastify matched to no route: one series, whatever the path asked for. */
export const UNMATCHED_ROUTE = 'unmatched';

type Labels = 'method' | 'route' | 'status';
interface Children {
  count: ReturnType<Counter<Labels>['labels']>;
  duration: ReturnType<Histogram<'method' | 'route'>['labels']>;
}

/**
 * Requests by method, route template and status, and their durations. The children of each label combination
 * are looked up in nested maps, so a request costs a few lookups, one increment and one observation.
 */
export class HttpRequestMetrics {
  private readonly requests: Counter<Labels>;
  private readonly durations: Histogram<'method' | 'route'>;
  private readonly children = new Map<string, Map<string, Map<number, Children>>>();

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    this.durations = new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'Time from the request arriving to the response sent, by method and route template',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }

  /** Counts a response, routed or not: one of the app's `whenAnswered` steps while metrics are on. */
  readonly count = (request: FastifyRequest, reply: FastifyReply): void => {
    // `routeOptions.url` is the template (`/api/notes/:id`); a 404 of no route has none.
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    const children = this.childrenOf(request.method, route, reply.statusCode);
    children.count.inc();
    children.duration.observe(reply.elapsedTime / 1000);
  };

  private childrenOf(method: string, route: string, status: number): Children {
    let byMethod = this.children.get(route);
    if (!byMethod) this.children.set(route, (byMethod = new Map<string, Map<number, Children>>()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map<number, Children>()));
    let children = byStatus.get(status);
    if (!children) {
      const labels: LabelValues<Labels> = { method, route, status: String(status) };
      children = {
        count: this.requests.labels(labels),
        duration: this.durations.labels({ method, route }),
      };
      byStatus.set(status, children);
    }
    return children;
  }
}
