import { basename } from "node:path";
import { type TarballFiles, readTarball } from "./tar.js";

/** The fields of a manifest whose values are version specifiers. */
const DEPENDENCY_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"] as const;
/** Specifiers that only mean something inside this repository: a published manifest holding one cannot be installed. */
const LOCAL_PROTOCOLS = ["workspace:", "catalog:", "link:", "file:"];

export interface PackedManifest {
  readonly name?: string;
  readonly version?: string;
  readonly main?: unknown;
  readonly module?: unknown;
  readonly types?: unknown;
  readonly typings?: unknown;
  readonly bin?: unknown;
  readonly exports?: unknown;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

/** A path a manifest names, with where it names it ("exports['./node'].types"). */
interface NamedPath {
  readonly where: string;
  readonly path: string;
  /** A bin: the file must start with a #! line to run as a command. */
  readonly executable?: boolean;
}

/** Every file path in an `exports` value, conditions and subpaths followed to their strings. */
function exportTargets(value: unknown, where: string): NamedPath[] {
  if (typeof value === "string") return [{ where, path: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => exportTargets(v, `${where}[${i}]`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, v]) => exportTargets(v, `${where}['${key}']`));
  }
  return []; // null: a subpath deliberately not exported
}

/** Every file the manifest names: main, module, types, typings, each bin and each exports target. */
export function namedPaths(manifest: PackedManifest): NamedPath[] {
  const named: NamedPath[] = [];
  for (const key of ["main", "module", "types", "typings"] as const) {
    const value = manifest[key];
    if (typeof value === "string") named.push({ where: key, path: value });
  }
  if (typeof manifest.bin === "string") named.push({ where: "bin", path: manifest.bin, executable: true });
  else if (typeof manifest.bin === "object" && manifest.bin !== null) {
    for (const [name, path] of Object.entries(manifest.bin)) if (typeof path === "string") named.push({ where: `bin['${name}']`, path, executable: true });
  }
  if (manifest.exports !== undefined) named.push(...exportTargets(manifest.exports, "exports"));
  return named;
}

/** Whether the tarball holds the file `path` (relative to the package root) names; a `*` pattern needs one file that matches. */
function holds(files: TarballFiles, path: string): boolean {
  const inTarball = `package/${path.replace(/^\.\//, "")}`;
  if (!inTarball.includes("*")) return files.has(inTarball);
  const [head, tail] = inTarball.split("*", 2) as [string, string];
  return [...files.keys()].some((f) => f.startsWith(head) && f.endsWith(tail) && f.length >= head.length + tail.length);
}

/**
 * What is wrong with a packed package for an install from npm, each problem naming the tarball
 * and the manifest field: a specifier only this repository resolves (workspace:, catalog:,
 * link:, file:), a file the manifest names (main, types, bin, an exports target) that the
 * tarball lacks, a bin without a #! line, and a dependency on an @unfold package that is not
 * among `published` (name to version) or whose range does not name the version published.
 */
export function tarballProblems(files: TarballFiles, label: string, published: ReadonlyMap<string, string>): string[] {
  const raw = files.get("package/package.json");
  if (!raw) return [`${label}: no package/package.json in the tarball`];
  const manifest = JSON.parse(raw.toString("utf8")) as PackedManifest;
  const problems: string[] = [];
  for (const fieldName of DEPENDENCY_FIELDS) {
    for (const [dep, spec] of Object.entries(manifest[fieldName] ?? {})) {
      const where = `${label}: package.json ${fieldName}['${dep}']`;
      const local = LOCAL_PROTOCOLS.find((p) => spec.startsWith(p));
      if (local) {
        problems.push(`${where} is '${spec}': a ${local} specifier resolves only inside this repository (pack with pnpm, which rewrites it)`);
        continue;
      }
      if (fieldName === "devDependencies" || !dep.startsWith("@unfold/")) continue;
      const version = published.get(dep);
      if (version === undefined) problems.push(`${where} is '${spec}', but ${dep} is not a published package (it is private or missing from the release)`);
      else if (spec.replace(/^[\^~]/, "") !== version) problems.push(`${where} is '${spec}', but the release packs ${dep} ${version}`);
    }
  }
  for (const { where, path, executable } of namedPaths(manifest)) {
    if (!holds(files, path)) {
      problems.push(`${label}: package.json ${where} names '${path}', which the tarball lacks`);
    } else if (executable && !files.get(`package/${path.replace(/^\.\//, "")}`)!.subarray(0, 2).equals(Buffer.from("#!"))) {
      problems.push(`${label}: package.json ${where} names '${path}', which has no #! line to run as a command`);
    }
  }
  return problems;
}

/** The problems of the tarball at `path` (see tarballProblems), named by its file name. */
export function checkTarball(path: string, published: ReadonlyMap<string, string>): string[] {
  return tarballProblems(readTarball(path), basename(path), published);
}

/** The name and version a tarball's package.json declares. */
export function manifestOf(path: string): { name: string; version: string } {
  const raw = readTarball(path).get("package/package.json");
  const manifest = raw ? (JSON.parse(raw.toString("utf8")) as PackedManifest) : {};
  if (typeof manifest.name !== "string" || typeof manifest.version !== "string") throw new Error(`${basename(path)}: no name and version in package/package.json`);
  return { name: manifest.name, version: manifest.version };
}
