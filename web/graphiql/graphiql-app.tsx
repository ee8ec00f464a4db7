import { GraphiQL } from 'graphiql';
import { useEffect, useMemo, useRef, useState } from 'react';
import { keyedFetcher } from './keyed-fetcher.js';
import type { PageConfig } from './page-config.js';
import { authorizationOf, INITIAL_HEADERS } from './request-headers.js';

const DEFAULT_QUERY = `# graphpulse: every operation needs an API key.
# Put yours after "Bearer " in the Headers tab below, then press the run button.

query Stores {
  stores(first: 5) {
    totalCount
    edges { node { id name city } }
  }
}
`;

/** Typing a key changes it once per keystroke: wait for a pause before reconnecting and re-reading the schema. */
const KEY_SETTLE_MS = 400;

export function GraphiqlApp({ config }: { config: PageConfig }) {
  const [authorization, setAuthorization] = useState(() => authorizationOf(INITIAL_HEADERS) ?? '');
  const settle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // A new fetcher makes GraphiQL introspect again: the schema appears once a valid key is in.
  const keyed = useMemo(() => keyedFetcher(config.endpoint, authorization), [config.endpoint, authorization]);
  useEffect(() => () => keyed.dispose(), [keyed]);
  useEffect(() => () => clearTimeout(settle.current), []);

  const onEditHeaders = (text: string) => {
    clearTimeout(settle.current);
    settle.current = setTimeout(() => {
      const value = authorizationOf(text);
      if (value !== null) setAuthorization(value);
    }, KEY_SETTLE_MS);
  };

  return (
    <GraphiQL
      fetcher={keyed.fetcher}
      initialHeaders={INITIAL_HEADERS}
      defaultHeaders={INITIAL_HEADERS}
      defaultQuery={DEFAULT_QUERY}
      defaultEditorToolsVisibility="headers"
      onEditHeaders={onEditHeaders}
    />
  );
}
