// The Web Worker that type-checks the editor's energy, so that loading the TypeScript compiler
// (megabytes) and building each program never block the page: typing and the live descent go
// on while it works. It answers each request in turn, in the order they came.
import { type TypeCheckReply, type TypeCheckRequest, createTypeCheckResponder } from "./type-check-protocol.js";
import { loadTypeChecker } from "./type-files.js";

// The project's type libraries describe a page (DOM), not a worker: this is the part of a
// worker's global scope used here.
const scope = self as unknown as {
  postMessage(reply: TypeCheckReply): void;
  addEventListener(type: "message", listener: (event: MessageEvent<TypeCheckRequest>) => void): void;
};

const respond = createTypeCheckResponder(loadTypeChecker);
let queue: Promise<void> = Promise.resolve();
scope.addEventListener("message", (event) => {
  queue = queue.then(async () => scope.postMessage(await respond(event.data)));
});
