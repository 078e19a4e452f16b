/**
 * Where this example gets netlinkjs from. Copied out of the repository next to an installed
 * `netlinkjs`, it uses that package; inside a checkout it uses the root's build (dist/, which
 * the root's `npm ci` makes), so the example needs no link or lockfile entry pointing at the
 * repository and `npm ci` here installs etcd3 alone.
 *
 * `require` (not `import`) on purpose: the library is CommonJS, and loading it through Node's
 * own loader keeps one copy of the native addon even when a test runner transforms this file.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function load() {
  try {
    return require('netlinkjs');
  } catch (err) {
    if (err?.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes("'netlinkjs'")) throw err;
    return require('../../../dist/netlinkjs.js');
  }
}

/** The netlinkjs module (`nl.open`, `nl.monitor`, `nl.netns` …). */
const nl = load();
export default nl;
