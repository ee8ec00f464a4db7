/** What the server tells the page, in a JSON script tag of its HTML (src/http/graphiql-page.ts writes it). */
export interface PageConfig {
  /** The GraphQL endpoint, relative to the page. */
  endpoint: string;
  /** Monaco's worker scripts by label (editor, json, graphql), relative to the page. */
  workers: Record<'editor' | 'json' | 'graphql', string>;
}

export const PAGE_CONFIG_ELEMENT_ID = 'graphiql-config';

export function readPageConfig(): PageConfig {
  const element = document.getElementById(PAGE_CONFIG_ELEMENT_ID);
  if (!element?.textContent) throw new Error(`the page has no #${PAGE_CONFIG_ELEMENT_ID} script`);
  return JSON.parse(element.textContent) as PageConfig;
}
