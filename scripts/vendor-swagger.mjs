// Copies the Swagger UI assets the API serves at /static/swagger/ (offline /schema/swagger)
// from node_modules/swagger-ui-dist into the Python package. Run after bumping swagger-ui-dist:
//   npm ci && npm run vendor:swagger
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'node_modules', 'swagger-ui-dist');
const dest = join(root, 'service', 'api', 'static', 'swagger');
const files = [
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'swagger-ui.css',
  'favicon-32x32.png',
  'LICENSE',
  'NOTICE',
];
mkdirSync(dest, { recursive: true });
for (const name of files) copyFileSync(join(src, name), join(dest, name));
const { version } = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
writeFileSync(join(dest, 'VERSION'), `swagger-ui-dist ${version}\n`);
// The bundles end with a sourceMappingURL comment; the maps are not vendored.
for (const name of files.filter((f) => f.endsWith('.js') || f.endsWith('.css'))) {
  const path = join(dest, name);
  const text = readFileSync(path, 'utf8').replace(/\n?\/[*/]# sourceMappingURL=.*$/m, '\n');
  writeFileSync(path, text);
}
console.log(`vendored swagger-ui-dist ${version} into ${dest}`);
