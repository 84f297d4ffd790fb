import { operationNames, pathParams, operations, type HttpMethod, type OperationName } from "../api/contract";

interface CompiledRoute {
  name: OperationName;
  method: HttpMethod;
  pattern: RegExp;
  params: string[];
}

const routes: CompiledRoute[] = operationNames.map((name) => ({
  name,
  method: operations[name].method,
  pattern: new RegExp(`^${operations[name].path.replace(/:\w+/g, "([^/]+)")}$`),
  params: pathParams(name),
}));

export type RouteMatch =
  | { kind: "operation"; name: OperationName; params: { [key: string]: string } }
  /** The path exists, the method does not: 405 with these in Allow. */
  | { kind: "method"; allowed: HttpMethod[] }
  | { kind: "none" };

/** Finds the contract operation for a request, from the contract's own route table. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const allowed: HttpMethod[] = [];
  for (const route of routes) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    let params: { [key: string]: string };
    try {
      params = Object.fromEntries(route.params.map((key, i) => [key, decodeURIComponent(match[i + 1] as string)]));
    } catch {
      return { kind: "none" };
    }
    return { kind: "operation", name: route.name, params };
  }
  return allowed.length > 0 ? { kind: "method", allowed } : { kind: "none" };
}
