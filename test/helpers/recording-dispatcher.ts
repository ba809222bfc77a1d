/**
 * An undici dispatcher that records the Authorization headers (tokens, Basic credentials) the
 * gateway sends to CXone, so a test can look for them where they must never appear (logs, spans).
 */
import { Agent, type Dispatcher } from 'undici';

export function recordingDispatcher(): { dispatcher: Dispatcher; authorizations: string[]; agent: Agent } {
  const agent = new Agent();
  const authorizations: string[] = [];
  const dispatcher = agent.compose((dispatch) => (options, handler) => {
    const headers = options.headers;
    const pairs: [string, unknown][] = Array.isArray(headers)
      ? headers.flatMap((_value, i, all) => (i % 2 === 0 ? [[String(all[i]), all[i + 1]] as [string, unknown]] : []))
      : Object.entries(headers ?? {});
    for (const [name, value] of pairs) if (name.toLowerCase() === 'authorization') authorizations.push(String(value));
    return dispatch(options, handler);
  });
  return { dispatcher, authorizations, agent };
}
