import { join } from 'node:path';
import { createHandler } from '../../../functions/http/console';
import { CONSOLE_CSP, loadConsoleAssets } from '../../../shared/console/consoleAssets';
import { invokeHandler, loadEvent } from '../../helpers/events';

const handler = createHandler({ asset: loadConsoleAssets(join(__dirname, '..', '..', '..', 'shared', 'console')) });

describe('GET /console and /console/{file}', () => {
  it('serves the page without a key, with a CSP that allows only its own script, style and API', async () => {
    // Act: the event carries no authorizer context, as the route has none.
    const response = await invokeHandler(handler, loadEvent('http/console.json'));
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.body).toContain('<script src="console/console.js" defer></script>');
    // Nothing inline the CSP would block: no inline script, style or event handler.
    expect(response.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(response.body).not.toMatch(/\son[a-z]+=/i);
    expect(response.body).not.toMatch(/<style|\sstyle=/i);
  });

  it('serves the script and the style with their types, and 404 for any other name', async () => {
    const event = loadEvent('http/consoleFile.json');
    const script = await invokeHandler(handler, event);
    const style = await invokeHandler(handler, { ...event, path: '/console/console.css', pathParameters: { file: 'console.css' } });
    const other = await invokeHandler(handler, { ...event, path: '/console/..%2Fconsole.ts', pathParameters: { file: '../console.ts' } });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('function startPage()');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(other.statusCode).toBe(404);
    expect(JSON.parse(other.body).error.code).toBe('not_found');
  });

  it('never writes API data as markup: the script uses no innerHTML, outerHTML, insertAdjacentHTML or document.write', async () => {
    const script = await invokeHandler(handler, loadEvent('http/consoleFile.json'));
    expect(script.body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });
});
