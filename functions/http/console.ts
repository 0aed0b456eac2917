import { join } from 'node:path';
import { isConsoleFile, loadConsoleAssets, type ConsoleFile } from '../../shared/console/consoleAssets';
import { NotFoundError } from '../../shared/errors/requestErrors';
import { httpRoute } from '../../shared/http/httpRoute';
import type { RouteResponse } from '../../shared/http/responses';

/**
 * The status page: `GET /console` (the HTML) and `GET /console/{file}` (its script and
 * style). No key is needed to load the page; it asks for one and calls the API with it.
 */
export const createHandler = (deps: { asset: (name: ConsoleFile) => RouteResponse }) =>
  httpRoute(
    async ({ event }) => {
      const file = event.pathParameters?.file ?? 'console.html';
      if (!isConsoleFile(file)) throw new NotFoundError(`The console has no file '${file}'.`, { code: 'not_found' });
      return deps.asset(file);
    },
    { anonymous: true },
  );

// Relative to this file both in the sources and in the package (functions/http/ beside shared/console/).
export const handler = createHandler({ asset: loadConsoleAssets(join(__dirname, '..', '..', 'shared', 'console')) });
