/**
 * Work the page redoes whenever a control changes, run so that runs never overlap: a request
 * made during a run asks for one more run after it (requests in between merge into one, which
 * is what a slider firing on every pixel needs). Each promise settles with the last run's result
 * or its error.
 */
export interface SerialRuns<Request, Result> {
  request(request: Request): Promise<Result>;
}

export function serialRuns<Request, Result>(options: {
  /** Does one run for the merged request. */
  readonly run: (request: Request) => Promise<Result>;
  /** Merges a new request into the one still waiting. */
  readonly merge: (waiting: Request, next: Request) => Request;
  /** Told each finished run's result, or the error that stopped the runs. */
  readonly settled: (outcome: { readonly result: Result } | { readonly error: unknown }) => void;
}): SerialRuns<Request, Result> {
  let waiting: { request: Request } | undefined;
  let running: Promise<Result> | undefined;
  return {
    request(request) {
      waiting = { request: waiting ? options.merge(waiting.request, request) : request };
      if (!running) {
        running = (async () => {
          let result: Result | undefined;
          try {
            while (waiting) {
              const next = waiting.request;
              waiting = undefined;
              result = await options.run(next);
              options.settled({ result });
            }
            return result!;
          } catch (error) {
            waiting = undefined;
            options.settled({ error });
            throw error;
          } finally {
            running = undefined;
          }
        })();
      }
      return running;
    },
  };
}
