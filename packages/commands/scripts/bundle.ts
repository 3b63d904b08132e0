// Builds the `unfold` CLI: the workspace's private apps and tooling (trainer, verify, bench,
// hessian, cli, files, plot) bundled from their sources into dist/bin, with every published
// @unfold/* package and every third-party package left as an import of the installed package.
// One bin is the whole public surface; the private packages never need publishing. The build
// fails when the bundle imports a package the CLI's package.json does not list as a dependency,
// so an install from npm cannot miss one.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type Plugin, build } from "esbuild";
import { externalPackages, packageNameOf } from "./externals.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Manifest {
  readonly name: string;
  readonly private?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}
const readManifest = (path: string): Manifest => JSON.parse(readFileSync(path, "utf8")) as Manifest;
const manifest = readManifest(join(root, "package.json"));
/** A workspace package's folder, found through this package's node_modules link. */
const folderOf = (name: string): string => realpathSync(join(root, "node_modules", name));

// Bundled: the private workspace packages this one builds on (its devDependencies).
const bundled = new Set(Object.keys(manifest.devDependencies ?? {}).filter((name) => name.startsWith("@unfold/") && readManifest(join(folderOf(name), "package.json")).private === true));

/** Leaves every bare import external but those of the bundled private packages. */
const externals: Plugin = {
  name: "unfold-externals",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = packageNameOf(args.path);
      if (name === undefined || bundled.has(name)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const dist = join(root, "dist");
const configs = join(root, "configs");
rmSync(dist, { recursive: true, force: true });
rmSync(configs, { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: {
    "bin/unfold": join(root, "src/bin/unfold.ts"),
    // `unfold bench soak` runs each backend in a child process started from bench's own entry
    // point, which it looks for beside itself (dist/bin/bench.js).
    "bin/bench": join(folderOf("@unfold/bench"), "src/bin/bench.ts"),
  },
  outdir: dist,
  // Every output in dist/bin: the trainer finds its bundled configs at <its module>/../../configs.
  chunkNames: "bin/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  conditions: ["@unfold/source"],
  plugins: [externals],
  metafile: true,
  logLevel: "warning",
});

const missing = externalPackages(result.metafile).filter((name) => manifest.dependencies?.[name] === undefined);
if (missing.length > 0) {
  throw new Error(`the bundle imports ${missing.join(", ")}, which packages/commands/package.json does not list in dependencies: add them there`);
}

// The trainer's bundled configs (--config quick, ...), where its module looks for them.
const trainerConfigs = join(folderOf("@unfold/trainer"), "configs");
mkdirSync(configs);
for (const file of readdirSync(trainerConfigs).filter((f) => f.endsWith(".json"))) copyFileSync(join(trainerConfigs, file), join(configs, file));
const outputs = Object.keys(result.metafile.outputs).map((path) => relative(root, join(root, path)));
const strays = outputs.filter((path) => dirname(path) !== join("dist", "bin"));
if (strays.length > 0) throw new Error(`bundle outputs outside dist/bin: ${strays.join(", ")} (the trainer would not find its configs from there)`);
const bin = join(dist, "bin", "unfold.js");
if (!existsSync(bin)) throw new Error(`the bundle has no ${relative(root, bin)}`);
chmodSync(bin, 0o755);
console.log(`unfold: ${outputs.length} files in dist/bin, ${readdirSync(configs).length} trainer configs`);
