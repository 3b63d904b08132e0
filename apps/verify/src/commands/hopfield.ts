import { type CommandIO, fixed, formatAlignedTable, integerFlag, outputFileFlag, parse, positiveFlag } from "@unfold/cli";
import { writeFileAtomic, writingTo } from "@unfold/files";
import { integerInRange } from "../flags.js";
import { RETRIEVAL_BACKENDS, type RetrievalBackend, createRetrievalBackend } from "../hopfield/backend.js";
import { CORRUPTIONS, LEVELS } from "../hopfield/corruption.js";
import { NETWORK_STEPS_PER_LAYER, RETRIEVAL_NETWORKS, type RetrievalNetwork } from "../hopfield/lagrangian-network.js";
import { retrievalPlotSvg } from "../hopfield/plot.js";
import { hopfieldRetrieval } from "../hopfield/retrieval.js";
import { mnistDigitsAvailable } from "../mnist-digits.js";

const DEFAULT_PLOT = "out/hopfield-retrieval.svg";
export const HOPFIELD_DEFAULTS = { memories: 100, beta: 50, steps: 3, seed: 0, backend: "cpu" as RetrievalBackend, network: "hopfield" as RetrievalNetwork };

const usage = (): string => `usage: unfold hopfield [--memories N] [--beta B] [--steps K] [--seed S]
                       [--backend cpu|reference] [--network hopfield|lagrangian] [--plot FILE.svg] [--json]
Stores N bundled MNIST digits (unit-norm vectors of 784) in the modern Hopfield energy
E(q) = -1/beta logsumexp(beta X q) + 1/2 ||q||^2, corrupts each digit into a query (${CORRUPTIONS.join(", ")}:
random pixels zeroed, bottom rows zeroed, Gaussian pixel noise) at levels ${LEVELS.join(", ")}, runs K
CCCP steps q <- X^T softmax(beta X q) on every query, and prints the retrieval accuracy (the
retrieved state's nearest stored digit is the one the query was made from) by corruption level.
  --memories N  digits stored, 1 to ${mnistDigitsAvailable()} (default ${HOPFIELD_DEFAULTS.memories})
  --beta B      inverse temperature, > 0 (default ${HOPFIELD_DEFAULTS.beta}); too small and stored digits stop being fixed points
  --steps K     CCCP steps per query (default ${HOPFIELD_DEFAULTS.steps})
  --seed S      seeds the masks and the noise, an integer >= 0 (default ${HOPFIELD_DEFAULTS.seed})
  --backend B   ${RETRIEVAL_BACKENDS.join(" or ")} (default ${HOPFIELD_DEFAULTS.backend})
  --network W   ${RETRIEVAL_NETWORKS.join(" or ")} (default ${HOPFIELD_DEFAULTS.network}): lagrangian runs the same energy as a
                two-layer Lagrangian network, 784 visible neurons (identity Lagrangian) and N memory
                neurons (softmax Lagrangian, g = softmax(beta h)) joined by the synapse -g_h^T X v,
                its dynamics by autodiff: each of the K layers is ${NETWORK_STEPS_PER_LAYER} network steps of size 1 from the
                memory layer at equilibrium (h = X v), which make one CCCP step
  --plot FILE   where the accuracy plot goes (default ${DEFAULT_PLOT}); written atomically
  --json        print one JSON object on the last line instead of the table`;

/** `pnpm unfold hopfield`: retrieval of stored MNIST digits from corrupted queries, by corruption level. */
export async function hopfieldCommand(argv: string[], io: CommandIO): Promise<void> {
  const flags = parse(argv, {
    memories: { type: "string" },
    beta: { type: "string" },
    steps: { type: "string" },
    seed: { type: "string" },
    backend: { type: "string" },
    network: { type: "string" },
    plot: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(usage());
  // Every flag is checked, and the plot's folder made and proved writable, before any work.
  const memories = integerInRange("memories", flags["memories"], HOPFIELD_DEFAULTS.memories, 1, mnistDigitsAvailable());
  const beta = positiveFlag("beta", flags["beta"], HOPFIELD_DEFAULTS.beta);
  const steps = integerFlag("steps", flags["steps"], HOPFIELD_DEFAULTS.steps);
  const seed = integerFlag("seed", flags["seed"], HOPFIELD_DEFAULTS.seed, 0);
  const backendName = backendFlag(flags["backend"]);
  const network = networkFlag(flags["network"]);
  const plotPath = outputFileFlag("plot", flags["plot"], DEFAULT_PLOT);

  io.progress(`storing ${memories} MNIST digits; ${CORRUPTIONS.length * LEVELS.length * memories} queries (${CORRUPTIONS.length} corruptions x ${LEVELS.length} levels x ${memories} digits) on ${backendName}`);
  const backend = createRetrievalBackend(backendName);
  let result;
  try {
    const unit = network === "lagrangian" ? `network layer (${NETWORK_STEPS_PER_LAYER} steps)` : "CCCP step";
    result = await hopfieldRetrieval({ memories, beta, steps, seed, backend, network, onStep: (k) => k > 0 && io.progress(`${unit} ${k}/${steps}`) });
  } finally {
    await backend.dispose();
  }
  await writingTo("--plot", plotPath, () => writeFileAtomic(plotPath, retrievalPlotSvg(result)));
  if (flags["json"]) {
    io.out(JSON.stringify({ ...result, backend: backendName, plot: plotPath }));
    return;
  }
  const ran =
    network === "lagrangian"
      ? `the two-layer Lagrangian network (${memories} memory neurons), ${steps} layers of ${NETWORK_STEPS_PER_LAYER} network steps`
      : `the modern Hopfield energy, ${steps} CCCP steps`;
  io.out(`${memories} stored digits, beta ${beta}, ${ran} on ${backendName}; one query per digit at each corruption and level`);
  io.out(
    formatAlignedTable(
      ["corruption", "level", "accuracy", "query accuracy", "cosine before", "cosine after"],
      result.rows.map((r) => [r.corruption, fixed(r.level, 1), fixed(r.accuracy, 3), fixed(r.queryAccuracy, 3), fixed(r.cosineBefore, 3), fixed(r.cosineAfter, 3)]),
      [false, true, true, true, true, true],
    ),
  );
  io.out("\naccuracy: the retrieved state's nearest stored digit is the query's own; query accuracy: the same for the corrupted query, before any step");
  io.out(`energy of all queries ${result.energy.start.toFixed(4)} -> ${result.energy.end.toFixed(4)}; ${network === "lagrangian" ? "network" : "CCCP"} steps that raised it: ${result.rises}`);
  io.out(`plot: ${plotPath}`);
}

function networkFlag(value: string | boolean | undefined): RetrievalNetwork {
  if (value === undefined) return HOPFIELD_DEFAULTS.network;
  if (RETRIEVAL_NETWORKS.includes(value as RetrievalNetwork)) return value as RetrievalNetwork;
  throw new Error(`--network must be ${RETRIEVAL_NETWORKS.join(" or ")}, got '${String(value)}'`);
}

function backendFlag(value: string | boolean | undefined): RetrievalBackend {
  if (value === undefined) return HOPFIELD_DEFAULTS.backend;
  if (RETRIEVAL_BACKENDS.includes(value as RetrievalBackend)) return value as RetrievalBackend;
  throw new Error(`--backend must be ${RETRIEVAL_BACKENDS.join(" or ")}, got '${String(value)}'`);
}
