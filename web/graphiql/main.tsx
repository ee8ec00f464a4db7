import 'graphiql/style.css';
import './page.css';
import { createRoot } from 'react-dom/client';
import { GraphiqlApp } from './graphiql-app.js';
import { installMonacoWorkers } from './monaco-workers.js';
import { readPageConfig } from './page-config.js';

/** The GraphiQL landing page (LANDING_PAGE=graphiql): bundled by src/assets, served from our own server. */
const config = readPageConfig();
installMonacoWorkers(config.workers);
createRoot(document.getElementById('graphiql')!).render(<GraphiqlApp config={config} />);
