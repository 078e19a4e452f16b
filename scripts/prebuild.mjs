// `npm run prebuild`: the addon via prebuildify, plus the netns spawn helper executable
// (prebuildify only collects .node files), so a prebuilt install has both.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const prebuildify = createRequire(import.meta.url).resolve('prebuildify/bin.js');
execFileSync(process.execPath, [prebuildify, '--napi', '--strip'], { stdio: 'inherit' });
const dir = `prebuilds/${process.platform}-${process.arch}`;
mkdirSync(dir, { recursive: true });
copyFileSync('build/Release/netlinkjs-nsexec', `${dir}/netlinkjs-nsexec`);
chmodSync(`${dir}/netlinkjs-nsexec`, 0o755);
console.log(`prebuilds: ${dir}/ (addon + netlinkjs-nsexec)`);
