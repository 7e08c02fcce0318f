import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
const src = process.argv[2];
const out = await build({ bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, write: false, metafile: true, stdin: { contents: src, resolveDir: '/work/main/src', sourcefile: 'e.ts', loader: 'ts' } });
const o = Object.values(out.metafile.outputs)[0];
console.log('total', out.outputFiles[0].contents.length, 'gz', gzipSync(out.outputFiles[0].contents, {level:9}).length);
for (const [k, v] of Object.entries(o.inputs).sort((a,b)=>b[1].bytesInOutput-a[1].bytesInOutput)) console.log(v.bytesInOutput, k);
